"""The feature vocabulary as data: one entry per public field.

Patient JSON keys, form field names and cohort column names are the same words.
Every surface (pydantic model, cohort validation, web form help, "what is missing"
phrasing) reads this one table, so a field is described once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["fact", "qualifier"]
ValueType = Literal["bool", "int", "float", "enum"]


@dataclass(frozen=True)
class FieldSpec:
    """One vocabulary field: its type, its accepted values and its words for people."""

    name: str
    kind: Kind
    type: ValueType
    label: str
    help: str
    question: str  # how a missing fact is named to a person ("whether ...")
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    values: tuple[str, ...] = ()
    default: bool | None = None
    unit: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    also_accepted: str | None = None  # other spellings stated in error messages

    @property
    def accepted(self) -> str:
        """The accepted range or values, as an error message states them."""
        if self.type == "enum":
            also = f" ({self.also_accepted})" if self.also_accepted else ""
            return "one of " + ", ".join(self.values) + also
        if self.type == "bool":
            return "true or false"
        low = f"greater than {self.minimum:g}" if self.exclusive_minimum else f"at least {self.minimum:g}"
        unit = f" {self.unit}" if self.unit else ""
        return f"a number {low} and at most {self.maximum:g}{unit}"


ASCITES = ("none", "slight", "moderate", "severe")
ENCEPHALOPATHY = ("none", "grade_1_2", "grade_3_4")
CHILD_PUGH_CLASSES = ("A", "B", "C")
RECURRENCE_SITES = ("liver", "distant")
SORAFENIB_STATUSES = ("never", "ongoing", "stopped_working", "not_tolerated")
PRIOR_SYSTEMIC = ("none", "atezolizumab_bevacizumab", "durvalumab_tremelimumab",
                  "nivolumab_ipilimumab", "sorafenib", "lenvatinib", "other")
PRIOR_SYSTEMIC_OUTCOMES = ("ongoing", "progressed", "not_tolerated")

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("tumor_count", "fact", "int", "Number of liver tumors",
              "How many separate tumors the scans show in the liver.",
              "how many tumors there are", 1, 50),
    FieldSpec("largest_tumor_cm", "fact", "float", "Size of the largest tumor (cm)",
              "The widest measurement of the biggest tumor, in centimeters (1 inch is about 2.5 cm).",
              "the size of the largest tumor", 0, 30, exclusive_minimum=True, unit="cm"),
    FieldSpec("vascular_invasion", "fact", "bool", "Tumor has grown into blood vessels",
              "Whether the scans or the surgeon found cancer growing into nearby blood vessels.",
              "whether the tumor has grown into blood vessels"),
    FieldSpec("lymph_node_spread", "fact", "bool", "Spread to lymph nodes",
              "Whether cancer has reached lymph nodes near the liver (N1 in TNM staging).",
              "whether the cancer has spread to lymph nodes"),
    FieldSpec("distant_spread", "fact", "bool", "Spread to other organs",
              "Whether cancer has spread beyond the liver to distant organs such as the lungs or bones (M1).",
              "whether the cancer has spread to other organs"),
    FieldSpec("cirrhosis", "fact", "bool", "Cirrhosis",
              "Whether the liver is scarred by cirrhosis.",
              "whether you have cirrhosis"),
    FieldSpec("bilirubin", "fact", "float", "Total bilirubin",
              "A blood test of how well the liver clears bilirubin. Give mg/dL, or a value with its unit "
              "such as 40 umol/L.",
              "your bilirubin level", 0, 60, unit="mg/dL"),
    FieldSpec("albumin", "fact", "float", "Albumin",
              "A blood protein made by the liver. Give g/dL, or a value with its unit such as 30 g/L.",
              "your albumin level", 0.5, 7, unit="g/dL"),
    FieldSpec("inr", "fact", "float", "INR",
              "A blood clotting test (international normalized ratio).",
              "your INR (a clotting test)", 0.5, 15),
    FieldSpec("ascites", "fact", "enum", "Ascites (fluid in the belly)",
              "Fluid building up in the abdomen: none, slight (mild), moderate or severe.",
              "whether there is fluid in the belly (ascites)", values=ASCITES,
              aliases={"mild": "slight", "absent": "none"}, also_accepted="mild = slight"),
    FieldSpec("encephalopathy", "fact", "enum", "Hepatic encephalopathy",
              "Confusion or sleepiness caused by the liver: none, grade 1-2, or grade 3-4 "
              "(a grade from 0 to 4 is also accepted).",
              "whether there is confusion caused by the liver (encephalopathy)",
              values=ENCEPHALOPATHY, also_accepted="or a grade from 0 to 4"),
    FieldSpec("child_pugh_class", "fact", "enum", "Child-Pugh class",
              "The liver function class your team gave (A is the best working liver, C the weakest). "
              "Used when the lab values are not all known.",
              "your Child-Pugh class (or the lab values behind it)", values=CHILD_PUGH_CLASSES),
    FieldSpec("fit_for_surgery", "fact", "bool", "Healthy enough for a major operation",
              "Whether your team thinks your general health allows a major operation.",
              "whether you are healthy enough for surgery"),
    FieldSpec("ecog", "fact", "int", "ECOG performance status",
              "How much daily activity you can do, from 0 (fully active) to 4 (in bed or chair all day). "
              "The 2017 guide does not use it; current staging (BCLC) does.",
              "your ECOG performance status", 0, 4),
    FieldSpec("recurrence_site", "fact", "enum", "Where the cancer came back",
              "For cancer that came back after treatment: in the liver, or in distant organs.",
              "where the cancer came back (liver or distant)", values=RECURRENCE_SITES),
    FieldSpec("sorafenib_status", "fact", "enum", "Sorafenib so far",
              "Whether you have taken sorafenib: never, ongoing, stopped working, or not tolerated.",
              "whether you have taken sorafenib and how it went", values=SORAFENIB_STATUSES),
    FieldSpec("major_vascular_invasion", "fact", "bool", "Major vein involved",
              "The tumor has grown into a main branch of the portal or hepatic vein (AJCC T4). "
              "No vascular invasion means no major vein either.",
              "whether a major vein is involved"),
    FieldSpec("adjacent_organ_invasion", "qualifier", "bool", "Grows into nearby organs",
              "The tumor grows into organs next to the liver other than the gallbladder, or through the "
              "liver's outer lining (AJCC T4).",
              "whether the tumor grows into nearby organs", default=False),
    FieldSpec("spread_throughout_liver", "qualifier", "bool", "Spread throughout the liver",
              "Cancer is spread through the liver, too many tumors to count.",
              "whether the cancer is spread throughout the liver", default=False),
    FieldSpec("hard_to_remove_location", "qualifier", "bool", "Hard-to-remove location",
              "Tick if your team said the tumor's place makes it hard to take out with an "
              "operation, for example right next to a large blood vessel. This is about surgery: "
              "it can make a transplant the better fit. Being near the diaphragm or bile ducts "
              "is the next box.",
              "whether the tumor is in a hard-to-remove place", default=False),
    FieldSpec("near_major_structures", "qualifier", "bool", "Near major structures",
              "Tick if your team said the tumor is close to a large blood vessel, the diaphragm "
              "(the muscle under the lungs) or the main bile ducts. This is about ablation, which "
              "also harms tissue around the tumor; it does not by itself rule out surgery.",
              "whether the tumor is near major vessels, the diaphragm or bile ducts", default=False),
    FieldSpec("recurrent", "qualifier", "bool", "Cancer came back",
              "The cancer came back after earlier treatment.",
              "whether the cancer came back after treatment", default=False),
    FieldSpec("wants_treatment", "qualifier", "bool", "Wants cancer treatment",
              "Untick if you are considering no cancer treatment. Help for pain and symptoms is always "
              "available.",
              "whether you want cancer treatment", default=True),
    # Fields added for current guidance (the bclc-2022 pack, MELD-Na, UCSF); kept after the
    # 2017 fields so that the order of `missing` and of generated cohorts stays as it was.
    FieldSpec("total_tumor_cm", "fact", "float", "Total size of all tumors (cm)",
              "The diameters of all liver tumors added up, in centimeters (worked out from the "
              "list of tumors when it is given). Used by the UCSF transplant rule.",
              "the total size of all tumors", 0, 300, exclusive_minimum=True, unit="cm"),
    FieldSpec("afp", "fact", "float", "AFP (alpha-fetoprotein)",
              "A blood test for a protein many liver cancers make, in ng/mL (the same number "
              "in µg/L).",
              "your AFP (alpha-fetoprotein) level", 0, 10_000_000, unit="ng/mL"),
    FieldSpec("portal_hypertension", "fact", "bool", "Portal hypertension",
              "High pressure in the liver's main vein that matters clinically: swollen veins "
              "(varices), a measured pressure gradient of 10 mmHg or more, or low platelets "
              "with a large spleen.",
              "whether you have portal hypertension (for example varices)"),
    FieldSpec("transplant_candidate", "fact", "bool", "Could be listed for a transplant",
              "Whether your team would put you on the waiting list for a liver transplant "
              "(this depends on age, other illnesses and support, not only the cancer).",
              "whether your team would consider you for a liver transplant"),
    FieldSpec("prior_systemic", "fact", "enum", "Most recent cancer medicine",
              "The most recent medicine given for this cancer, if any: none, atezolizumab with "
              "bevacizumab, durvalumab with tremelimumab, nivolumab with ipilimumab, sorafenib, "
              "lenvatinib, or another.",
              "which medicine you had most recently for this cancer", values=PRIOR_SYSTEMIC,
              aliases={"atezolizumab+bevacizumab": "atezolizumab_bevacizumab",
                       "durvalumab+tremelimumab": "durvalumab_tremelimumab",
                       "nivolumab+ipilimumab": "nivolumab_ipilimumab"}),
    FieldSpec("prior_systemic_outcome", "fact", "enum", "How that medicine went",
              "How the most recent cancer medicine went: still ongoing, the cancer grew "
              "(progressed), or it could not be taken because of side effects.",
              "how your most recent cancer medicine went", values=PRIOR_SYSTEMIC_OUTCOMES),
    FieldSpec("creatinine", "fact", "float", "Creatinine",
              "A blood test of kidney function, in mg/dL, or a value with its unit such as "
              "90 umol/L. Used for MELD-Na.",
              "your creatinine level", 0.1, 25, unit="mg/dL"),
    FieldSpec("sodium", "fact", "float", "Sodium",
              "Blood sodium in mmol/L (the same number in mEq/L). Used for MELD-Na.",
              "your blood sodium level", 100, 200, unit="mmol/L"),
    FieldSpec("ecog_due_to_other_illness", "qualifier", "bool", "Activity limited by another illness",
              "Tick if the ECOG score comes from another illness, not from the cancer. Current "
              "staging counts only limits the cancer causes.",
              "whether the activity limit comes from another illness", default=False),
    FieldSpec("dialysis", "qualifier", "bool", "Dialysis in the past week",
              "Dialysis at least twice in the past week, or continuous dialysis (CVVHD) for 24 "
              "hours or more in the past week. Used for MELD-Na.",
              "whether you had dialysis in the past week", default=False),
)

FIELD_BY_NAME: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS}
FACTS: tuple[str, ...] = tuple(s.name for s in FIELDS if s.kind == "fact")
QUALIFIERS: tuple[str, ...] = tuple(s.name for s in FIELDS if s.kind == "qualifier")
PATIENT_KEYS: tuple[str, ...] = ("tumors",) + tuple(spec.name for spec in FIELDS)
