"""The planted world: which map items drive outcomes, rep habits, and the CRM vocabulary.

Everything here is a constant; ``docs/generator.md`` explains it and ``_truth/truth.json`` records it
for every generated data set.
"""

from __future__ import annotations

from dataclasses import dataclass

WORLDS = ("planted", "noise", "flat_reps")
KINDS = ("role", "value_proposition", "issue", "question")
# Item kind -> its list in a map role and its column in engagements.csv (the same word).

# Planted coefficients (log-odds) for one item of each kind per segment.
DRIVER_BETA = {"role": 0.9, "value_proposition": 0.8, "issue": 0.85, "question": 0.9}
NEGATIVE_BETA = -0.7  # the price-led value proposition
AMOUNT_BETA = -0.3  # per unit of log(amount / segment median)
LEAD_SOURCE_BETA = {"outbound": 0.0, "inbound": 0.6, "partner": 0.3, "event": 0.15}
LEAD_SOURCE_SHARE = {"outbound": 0.40, "inbound": 0.30, "partner": 0.15, "event": 0.15}
NOISE_WIN_PROBABILITY = 0.4

# Behaviour model.
COPY_PROBABILITY = {"role": 0.5, "value_proposition": 0.45, "question": 0.45}  # look-alike copies its driver
# The driver kind each look-alike travels with: the issue look-alike is uncovered by the winning question.
LOOKALIKE_PARTNER = {"role": "role", "value_proposition": "value_proposition", "issue": "question",
                     "question": "question"}
ABSENT_OWNER_FACTOR = 0.35  # an item is pitched this much less often when its role is not engaged
ITEM_RATE_RANGE = (0.15, 0.35)  # per-item rate when the owner role is engaged (from a hash of the id)
UNCOVER_PROBABILITY = 0.6  # an asked question records each issue it uncovers in the same engagement
SPONTANEOUS_ISSUE_RATE = 0.04  # per deal and issue, without any question
NON_ROLE_SHARE = 0.25  # share of a deal's extra engagements with contacts outside the map's roles
ROLE_ID_SHARE = 0.10  # engagements where the CRM stored role_id directly
TYPO_SHARE = 0.04  # role contacts whose title no pattern matches

# Rep habits (logit shifts on behaviour propensities; no rep has a hidden skill term).
STRONG_REPS = (3, 10, 15, 22)  # rep numbers: r03, r10, r15, r22
STRONG_SHIFT = 1.0  # on every key-player role
GAP_SHIFT = -3.0
GAPS = {7: "role", 12: "value_proposition", 18: "question"}  # r07, r12, r18 -> the driver kind each rarely uses

# Calendar.
FIRST_DAY = "2024-01-01"
SNAPSHOT_DAY = "2026-10-31"  # deals still running on this day are open


@dataclass(frozen=True)
class SegmentSpec:
    """One segment's map file, volume, deal economics and planted items."""

    map_file: str
    share: float
    intercept: float
    amount_median: float
    amount_sigma: float
    role_rates: dict[str, float]
    drivers: dict[str, str]
    negative: str
    lookalikes: dict[str, str]
    pitch_rates: dict[str, float]  # explicit rates (else hashed from the id)
    titles: dict[str, tuple[list[str], list[str]]]  # role -> (messy titles that map, typos that don't)
    other_titles: list[str]  # contacts outside the map ("" = blank title)
    account_words: tuple[list[str], list[str]]


INDUSTRIAL = SegmentSpec(
    map_file="industrial-controls.yaml",
    share=0.55,
    intercept=-1.85,
    amount_median=85_000.0,
    amount_sigma=0.9,
    role_rates={"production_manager": 0.45, "maintenance_engineer": 0.70, "controls_engineer": 0.75,
                "quality_manager": 0.45, "plant_controller": 0.25, "operations_director": 0.20},
    drivers={"role": "production_manager", "value_proposition": "vp_yield_existing_lines",
             "issue": "unplanned_downtime", "question": "q_downtime_cost"},
    negative="vp_price_per_point",
    lookalikes={"role": "quality_manager", "value_proposition": "vp_line_visibility",
                "issue": "overtime_to_recover", "question": "q_shift_targets"},
    pitch_rates={"vp_yield_existing_lines": 0.55, "q_downtime_cost": 0.55, "vp_price_per_point": 0.45,
                 "q_weekend_overtime": 0.4},
    titles={
        "production_manager": (
            ["Production Manager", "PRODUCTION MANAGER", "production manager", "Prod. Mgr", "Prod Mgr",
             "Sr. Production Manager - Line 3", "Production Mgr, Assembly", "Plant Manager", "PLANT MANAGER",
             "Plant Mgr.", "Manufacturing Manager", "Mfg Manager", "Operations Manager",
             "Production Supervisor - 2nd Shift", "Head of Production", "Assistant Plant Manager"],
            ["Producton Manager", "Prodution Mgr"]),
        "maintenance_engineer": (
            ["Maintenance Engineer", "MAINTENANCE SUPERVISOR", "Maint. Eng.", "Maintenance Manager",
             "Reliability Engineer", "Sr. Maintenance Technician", "Electrical Maintenance Supervisor", "Maint Mgr",
             "Maintenance & Reliability Lead"],
            ["Maintainance Engineer", "Mantenance Tech"]),
        "controls_engineer": (
            ["Controls Engineer", "CONTROLS ENGINEER", "Controls Engr.", "Sr. Controls Engineer", "Electrical Engineer",
             "Electrical & Controls Engineer", "Automation Engineer", "PLC Programmer", "E&I Technician",
             "Instrumentation Tech", "Lead Electrical Eng"],
            ["Contols Engineer", "Electircal Engineer"]),
        "quality_manager": (
            ["Quality Manager", "QUALITY MANAGER", "QA Manager", "Quality Engineer", "Sr. Quality Engineer",
             "QA/QC Lead", "Quality Control Supervisor", "Dir. of Quality", "Supplier Quality Engineer"],
            ["Qualty Manager"]),
        "plant_controller": (
            ["Plant Controller", "PLANT CONTROLLER", "Financial Controller", "Finance Manager", "Cost Accountant",
             "FP&A Manager", "Plant Finance Lead", "CFO"],
            ["Plant Controler"]),
        "operations_director": (
            ["VP Operations", "VP Ops", "vp ops", "Vice President, Operations", "Director of Operations",
             "Operations Director", "General Manager", "Site Director", "Chief Operating Officer",
             "Sr. VP Operations", "SVP Manufacturing"],
            ["VP Opeartions"]),
    },
    other_titles=["Purchasing Agent", "Senior Buyer", "IT Director", "Executive Assistant", "Procurement Specialist",
                  "EHS Coordinator", "Production Coordinator", "Engineering Manager", ""],
    account_words=(
        ["Apex", "Northfield", "Keystone", "Riverbend", "Summit", "Ironwood", "Bluewater", "Granite", "Harbor",
         "Lakeshore", "Pioneer", "Redline", "Sterling", "Tri-County", "Westgate", "Müller", "Société Générale de",
         "Kovač", "Østergaard", "Nakamura", "Ríos"],
        ["Precision Parts", "Metal Works", "Automotive Components", "Plastics", "Stamping", "Machining",
         "Fabrication", "Precision Parts, Inc.", "Manufacturing Co.", "Präzisionsteile GmbH", "Mécanique SA",
         "Components, LLC", 'Tool & Die "Plant 2"'],
    ),
)

FOOD = SegmentSpec(
    map_file="food-safety-testing.yaml",
    share=0.45,
    intercept=-1.8,
    amount_median=42_000.0,
    amount_sigma=0.8,
    role_rates={"plant_manager": 0.40, "food_safety_manager": 0.80, "lab_supervisor": 0.70,
                "sanitation_manager": 0.40, "maintenance_manager": 0.25, "plant_controller": 0.25},
    drivers={"role": "plant_manager", "value_proposition": "vp_release_faster",
             "issue": "inventory_on_hold", "question": "q_hold_cost"},
    negative="vp_lowest_cost_per_test",
    lookalikes={"role": "sanitation_manager", "value_proposition": "vp_hold_dashboard",
                "issue": "cold_storage_full", "question": "q_release_process"},
    pitch_rates={"vp_release_faster": 0.55, "q_hold_cost": 0.55, "vp_lowest_cost_per_test": 0.45,
                 "q_storage_capacity": 0.4},
    titles={
        "plant_manager": (
            ["Plant Manager", "PLANT MANAGER", "plant mgr", "Plant Director", "General Manager - Dairy",
             "Operations Manager", "Production Manager", "Sr. Production Manager - Line 3", "Prod. Mgr",
             "Site Manager", "Asst. Plant Manager", "Plant Operations Lead"],
            ["Plnat Manager", "Genral Manager"]),
        "food_safety_manager": (
            ["Food Safety Manager", "FSQA Manager", "QA Manager", "Quality Assurance Manager", "QA MGR",
             "Dir. Food Safety & Quality", "SQF Practitioner", "HACCP Coordinator", "Quality Manager",
             "Regulatory Affairs Manager", "Director of Quality"],
            ["Food Saftey Manager", "Qualty Assurance Mgr"]),
        "lab_supervisor": (
            ["Micro Lab Supervisor", "Microbiology Lab Supervisor", "Lab Manager", "Laboratory Supervisor",
             "Microbiologist", "Sr. Microbiologist", "QC Lab Tech", "Lab Tech II", "LAB SUPERVISOR", "Lab Lead"],
            ["Microbiolgist", "Labratory Supervisor"]),
        "sanitation_manager": (
            ["Sanitation Manager", "SANITATION SUPERVISOR", "Sanitation Lead - 3rd Shift", "Plant Sanitarian",
             "Hygiene Manager", "Environmental Monitoring Coordinator"],
            ["Sanitaiton Manager"]),
        "maintenance_manager": (
            ["Maintenance Manager", "Maint. Supervisor", "MAINTENANCE MANAGER", "Facilities Manager",
             "Reliability Engineer", "Maintenance Planner", "Maint Mgr"],
            ["Maintenence Manager"]),
        "plant_controller": (
            ["Plant Controller", "Financial Controller", "Finance Manager", "Cost Accountant", "FP&A Analyst",
             "Plant Accounting Lead", "CFO"],
            ["Plant Comptroler"]),
    },
    other_titles=["Purchasing Manager", "Buyer", "IT Director", "Executive Assistant", "HR Manager",
                  "Warehouse Supervisor", "Shipping Lead", "Production Coordinator", ""],
    account_words=(
        ["Golden Valley", "Prairie", "Blue Ridge", "Sunrise", "Heartland", "Coastal", "Maple Creek", "Green Acres",
         "Harvest", "Evergreen", "Silver Lake", "Sunnyside", "Lindström", "Crème de la", "Ñandú", "Dalgaard",
         "O'Brien"],
        ["Foods", "Dairy", "Meats", "Bakery", "Poultry", "Creamery", "Provisions", "Foods, Inc.", "Fresh Produce",
         "Molkerei GmbH", "Fromagerie", "Frozen Foods, LLC", 'Snacks "Plant B"'],
    ),
)

SEGMENTS = (INDUSTRIAL, FOOD)

# Deal attributes.
CURRENCIES = {"USD": 0.85, "EUR": 0.10, "GBP": 0.05}
REGIONS = {"North America": 0.50, "EMEA": 0.30, "APAC": 0.12, "LATAM": 0.08}
CYCLE_MEDIAN_DAYS = 135.0
CYCLE_SIGMA = 0.55
ENGAGEMENTS_MIN, ENGAGEMENTS_EXTRA = 2, 7  # 2 + Binomial(7, 3/7): 2..9, mean 5
OUTCOME_SPELLINGS = {
    "won": (["won", "Won", "WON", "Closed Won", "closedwon"], [0.35, 0.25, 0.05, 0.25, 0.10]),
    "lost": (["lost", "Lost", "LOST", "Closed Lost", "closedlost"], [0.35, 0.25, 0.05, 0.25, 0.10]),
    "open": (["open", "Open"], [0.6, 0.4]),
}
CHANNELS = {"meeting": 0.33, "call": 0.25, "email": 0.25, "demo": 0.10, "other": 0.05, "": 0.02}
DATE_ONLY_SHARE = 0.2  # occurred_at written as a date instead of a timestamp

NOTE_OPENERS = [
    "", "", "", "", "Walked line 3 with the team", "Call re: downtime numbers", "Intro meeting, good rapport",
    'Customer said "budget is tight this year"', "Sent deck and case study", "Demo went well, asked for ROI calc",
    "Site visit – met the night shift", "Revisión de la propuesta con el cliente", "Rückfrage zum Angebot",
    "Réunion avec l'équipe qualité, très positif", "Left voicemail, no answer",
    "Pricing discussion, pushback on cost",
    "Plant tour with the customer's customer", "Follow-up after trade show",
]
NOTE_TAILS = ["", "", "", "; follow up next week", ", next step: trial", " — waiting on PO", " (€ quote requested)",
              ", loop in purchasing", "; asked for references", " – they compare us with the incumbent"]

# Reps.
FIRST_NAMES = ["Ana", "Ben", "Chloé", "David", "Elif", "Frank", "Grace", "Hiro", "Ines", "Jamal", "Katarzyna", "Liam",
               "María", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Sven", "Tomás", "Uma", "Victor", "Wen", "Zoë"]
LAST_NAMES = ["Okafor", "Schmidt", "Nguyen", "García", "Johansson", "Patel", "O'Neil", "Kowalski", "Dubois", "Rossi",
              "Tanaka", "Murphy", "Fernández", "Novák", "Smith", "Haddad", "Andersen", "Moreau", "Silva", "Brown"]
TEAMS = ["Atlas", "Borealis", "Cascade"]
REP_REGIONS = ["North America", "North America", "EMEA", "APAC"]
