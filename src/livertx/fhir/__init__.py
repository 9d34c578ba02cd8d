"""FHIR R4 input: a Bundle mapped to the vocabulary, with provenance per field.

    from livertx.fhir import bundle_to_patient
    mapped = bundle_to_patient(bundle_json)
    mapped.patient      # vocabulary dict (only what the bundle says)
    mapped.report()     # patient, provenance, ignored resources, HCC condition
"""

from livertx.fhir.mapping import MappedPatient, bundle_to_patient, map_entries
from livertx.fhir.read import BundleError, model_entries, resource_model

__all__ = ["BundleError", "MappedPatient", "bundle_to_patient", "map_entries", "model_entries",
           "resource_model"]
