"""The probe fit: a short, seeded fit on a copy of the model (runtime rules CNN401-CNN411)."""
