"""The codes livertx reads from a FHIR record, and the units it converts.

Sources (see ../shared/research/anchors.md, section 6): LOINC codes of the labs and
of mCODE's staging observations (STU2 LOINC, STU3+ SNOMED CT), AJCC category values as
mCODE sends them (`http://cancerstaging.org` codes or SNOMED CT qualifier values).
Anything not listed here is reported as ignored, never guessed.
"""

from __future__ import annotations

from livertx.units import AFP_UNITS, CREATININE_UNITS, SODIUM_UNITS

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
AJCC = "http://cancerstaging.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = ("http://hl7.org/fhir/sid/icd-10", "http://hl7.org/fhir/sid/icd-10-cm")

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

# Labs: vocabulary field -> LOINC codes (mass and molar variants).
# AFP: 1834-1 Alpha-1-Fetoprotein [Mass/volume] in Serum or Plasma; 53962-7
# Alpha-1-fetoprotein.tumor marker [Mass/volume] in Serum or Plasma (the same analyte
# reported as a tumour marker). Both are listed among the AFP codes of the Taiwan NHI HCC
# rules (TWNHIFHIR/cql, input/cql/HCCCodeConcept.cql) and in the mCODE TumorMarkerTestVS.
# Creatinine: 2160-0 [Mass/volume] and 14682-9 [Moles/volume] in Serum or Plasma (also in
# that file's creatinine list). Sodium: 2951-2 [Moles/volume] in Serum or Plasma, 2947-0
# [Moles/volume] in Blood.
LAB_CODES: dict[str, tuple[str, ...]] = {
    "bilirubin": ("1975-2", "14631-6"),
    "albumin": ("1751-7", "61151-7", "2862-1"),
    "inr": ("6301-6", "34714-6", "46418-0"),
    "afp": ("1834-1", "53962-7"),
    "creatinine": ("2160-0", "14682-9"),
    "sodium": ("2951-2", "2947-0"),
}
# Recognised but not converted (each reported with how to send it instead):
# 54347-0 albumin in moles per volume; 19176-7 Alpha-1-Fetoprotein [Units/volume] in Serum
# or Plasma (international units: the factor to ng/mL depends on the assay's standard, and
# a wrong factor could move a value across the AFP 400 ng/mL threshold).
NOT_CONVERTED: dict[str, str] = {
    "54347-0": "albumin in moles per volume is not converted; send g/dL or g/L (LOINC 1751-7)",
    "19176-7": "AFP in international units (LOINC 19176-7) is not converted; send ng/mL or "
               "ug/L (LOINC 1834-1)",
}

# UCUM unit (lower-cased, as sent in Quantity.code or .unit) -> factor to the vocabulary unit.
BILIRUBIN_UCUM: dict[str, float] = {
    "mg/dl": 1.0, "mg/l": 0.1, "umol/l": 1 / 17.1, "µmol/l": 1 / 17.1, "μmol/l": 1 / 17.1,
}
ALBUMIN_UCUM: dict[str, float] = {"g/dl": 1.0, "g/l": 0.1, "mg/dl": 0.001}
INR_UCUM: dict[str, float] = {"": 1.0, "1": 1.0, "{inr}": 1.0, "{ratio}": 1.0, "ratio": 1.0,
                              "inr": 1.0}
SIZE_UCUM: dict[str, float] = {"cm": 1.0, "mm": 0.1}
LAB_UNITS: dict[str, dict[str, float]] = {
    "bilirubin": BILIRUBIN_UCUM, "albumin": ALBUMIN_UCUM, "inr": INR_UCUM,
    "afp": AFP_UNITS, "creatinine": CREATININE_UNITS, "sodium": SODIUM_UNITS,
}

ECOG = "89247-1"
# LOINC answer list LL529-9 (ECOG grades 0-5).
ECOG_ANSWERS: dict[str, int] = {"LA9622-7": 0, "LA9623-5": 1, "LA9624-3": 2, "LA9625-0": 3,
                                "LA9626-8": 4, "LA9627-6": 5}

TUMOR_SIZE = "21889-1"          # mCODE TumorSize
TUMOR_LONGEST_DIMENSION = "33728-7"  # its component for the longest dimension

# mCODE TNM observations: (system, code) -> (axis, clinical|pathological)
STAGING_CODES: dict[tuple[str, str], tuple[str, str]] = {
    (SNOMED, "399504009"): ("T", "clinical"), (SNOMED, "384625004"): ("T", "pathological"),
    (SNOMED, "399534004"): ("N", "clinical"), (SNOMED, "371494008"): ("N", "pathological"),
    (SNOMED, "399387003"): ("M", "clinical"), (SNOMED, "371497001"): ("M", "pathological"),
    (SNOMED, "399537006"): ("stage", "clinical"), (SNOMED, "399588009"): ("stage", "pathological"),
    (LOINC, "21905-5"): ("T", "clinical"), (LOINC, "21899-0"): ("T", "pathological"),
    (LOINC, "21906-3"): ("N", "clinical"), (LOINC, "21900-6"): ("N", "pathological"),
    (LOINC, "21907-1"): ("M", "clinical"), (LOINC, "21901-4"): ("M", "pathological"),
    (LOINC, "21908-9"): ("stage", "clinical"), (LOINC, "21902-2"): ("stage", "pathological"),
}

# SNOMED CT qualifier values for AJCC N and M categories, as AJCC codes.
SNOMED_TNM_VALUES: dict[str, str] = {
    "1229966003": "cNX", "1229967007": "cN0", "1229973008": "cN1",
    "1229945006": "pNX", "1229947003": "pN0", "1229951001": "pN1",
    "1229901006": "cM0", "1229903009": "cM1", "1229916009": "pM1",
}

# Conditions (and finding Observations) livertx reads.
HCC_SNOMED = ("109841003", "253018005")  # liver cell carcinoma; fibrolamellar variant
HCC_ICD10 = ("C22.0",)
CIRRHOSIS_SNOMED = ("19943007",)
CIRRHOSIS_ICD10 = ("K70.3", "K74.3", "K74.4", "K74.5", "K74.6")  # and their sub-codes
ASCITES_SNOMED = ("389026000",)
ASCITES_ICD10 = ("R18",)
ENCEPHALOPATHY_SNOMED = ("13920009",)
ENCEPHALOPATHY_ICD10 = ("K76.82",)
# Portal hypertension and varices. SNOMED CT 34742003 |Portal hypertension (disorder)| (mapped
# to ICD-10 K76.6 in public code maps, e.g. the OHDSI Charlson concept list) and 28670008
# |Esophageal varices (disorder)| (ICD-10 I85). Varices count as clinically significant
# portal hypertension (DESIGN.md, `portal_hypertension`); their absence does not rule it out.
PORTAL_HYPERTENSION_SNOMED = ("34742003",)
PORTAL_HYPERTENSION_ICD10 = ("K76.6",)
VARICES_SNOMED = ("28670008",)
VARICES_ICD10 = ("I85", "I86.4")  # oesophageal varices (and sub-codes); gastric varices

# SNOMED severity qualifiers (Condition.severity or an Observation's value).
SEVERITY: dict[str, str] = {"255604002": "mild", "6736007": "moderate", "24484000": "severe"}
PRESENT, ABSENT = "52101004", "2667000"

# Medicines of `prior_systemic`. RxNorm ingredient codes only where a public source confirms
# them (a list sourced from NIH RxNav: sorafenib 495881; a public RxNorm registry: nivolumab
# 1597876, atezolizumab 1792776, bevacizumab 253337); the others are read by name, and every
# one also by name (generic and US brand) as a fallback for uncoded records.
RXNORM_INGREDIENTS: dict[str, str] = {
    "495881": "sorafenib", "1597876": "nivolumab", "1792776": "atezolizumab",
    "253337": "bevacizumab",
}
MEDICINE_NAMES: dict[str, tuple[str, ...]] = {
    "atezolizumab": ("atezolizumab", "tecentriq"),
    "bevacizumab": ("bevacizumab", "avastin"),
    "durvalumab": ("durvalumab", "imfinzi"),
    "tremelimumab": ("tremelimumab", "imjudo"),
    "nivolumab": ("nivolumab", "opdivo"),
    "ipilimumab": ("ipilimumab", "yervoy"),
    "sorafenib": ("sorafenib", "nexavar"),
    "lenvatinib": ("lenvatinib", "lenvima"),
}
# `prior_systemic` values: the medicines that make each (a combination needs both).
REGIMENS: dict[str, frozenset[str]] = {
    "atezolizumab_bevacizumab": frozenset({"atezolizumab", "bevacizumab"}),
    "durvalumab_tremelimumab": frozenset({"durvalumab", "tremelimumab"}),
    "nivolumab_ipilimumab": frozenset({"nivolumab", "ipilimumab"}),
    "sorafenib": frozenset({"sorafenib"}),
    "lenvatinib": frozenset({"lenvatinib"}),
}
