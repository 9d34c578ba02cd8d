"""CDS Hooks 2.0 service: livertx as cards inside the EHR."""
