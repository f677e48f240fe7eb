"""Value lists the sample data generator draws from.

Dictionaries of (weight, fit) map a value to how often it is drawn and how well it matches
the ideal customer (0 to 1). The fit feeds the hidden propensity to convert.
"""

from __future__ import annotations

JOB_TITLES: dict[str, tuple[float, float]] = {
    "VP Marketing": (4, 1.0),
    "VP Sales": (3, 0.95),
    "Chief Marketing Officer": (1, 1.0),
    "CTO": (1, 0.7),
    "Director of Sales": (5, 0.9),
    "Director of Marketing": (5, 0.9),
    "Head of Growth": (3, 0.85),
    "Marketing Manager": (10, 0.65),
    "Sales Operations Manager": (6, 0.7),
    "Marketing Operations Specialist": (6, 0.55),
    "Data Analyst": (6, 0.4),
    "Account Executive": (6, 0.45),
    "Consultant": (5, 0.3),
    "Software Engineer": (9, 0.2),
    "Intern": (5, 0.05),
    "Student": (6, 0.0),
}

DEPARTMENTS = ("Marketing", "Sales", "Operations", "Finance", "Engineering", "IT", "Other")

INDUSTRIES: dict[str, tuple[float, float]] = {
    "Software": (8, 1.0),
    "Financial Services": (5, 0.9),
    "Healthcare": (4, 0.7),
    "Manufacturing": (4, 0.6),
    "Retail": (4, 0.6),
    "Media": (3, 0.5),
    "Logistics": (3, 0.5),
    "Education": (3, 0.3),
    "Government": (2, 0.2),
}

COUNTRIES: dict[str, tuple[float, float]] = {
    "United States": (10, 1.0),
    "United Kingdom": (4, 0.9),
    "Germany": (4, 0.9),
    "Canada": (3, 0.8),
    "Netherlands": (2, 0.8),
    "Australia": (2, 0.7),
    "France": (3, 0.7),
    "Japan": (2, 0.5),
    "India": (4, 0.4),
    "Brazil": (2, 0.4),
}

LEAD_SOURCES: dict[str, tuple[float, float]] = {
    "Organic Search": (8, 0),
    "Paid Search": (5, 0),
    "Webinar": (3, 0),
    "Referral": (2, 0),
    "Trade Show": (2, 0),
    "Content Syndication": (3, 0),
    "Partner": (2, 0),
    "Direct": (3, 0),
}

TECH_STACKS = ("Snowflake", "BigQuery", "Redshift", "Databricks", "PostgreSQL", "None")
TIMELINES = ("this quarter", "next quarter", "this year", "no plans")

NAME_PARTS = (
    tuple(
        [
            "North",
            "Blue",
            "Iron",
            "Silver",
            "Bright",
            "Cedar",
            "Summit",
            "Harbor",
            "Granite",
            "Pioneer",
            "Atlas",
            "Nova",
        ]
    ),
    tuple(
        [
            "Analytics",
            "Logistics",
            "Systems",
            "Health",
            "Capital",
            "Labs",
            "Retail",
            "Media",
            "Industries",
        ]
    ),
)
FIRST_NAMES = tuple(
    [
        "ana",
        "ben",
        "chen",
        "dana",
        "eli",
        "fatima",
        "george",
        "hana",
        "ivan",
        "julia",
        "kofi",
        "lena",
    ]
)
LAST_NAMES = tuple(
    ["smith", "garcia", "muller", "kim", "nguyen", "okafor", "rossi", "silva", "tanaka", "novak"]
)
OWNERS = (
    "alex.rivera@sales.example.com",
    "jordan.lee@sales.example.com",
    "morgan.chen@sales.example.com",
    "taylor.brooks@sales.example.com",
)

# Paths of ordinary pages; pricing, careers and demo pages are chosen separately.
NORMAL_PAGES = (
    "/",
    "/blog/lead-scoring-basics",
    "/blog/warehouse-native-marketing",
    "/blog/grading-versus-scoring",
    "/blog/buying-groups",
    "/docs/getting-started",
    "/docs/rules",
    "/docs/api",
    "/product",
    "/product/integrations",
    "/customers",
    "/about",
)
FORM_ASSETS = ("Contact Us", "Demo Request", "Newsletter Signup")
EMAIL_ASSETS = (
    "Welcome Email",
    "Product Update November",
    "Case Study Digest",
    "Webinar Invitation",
    "Pricing Announcement",
)
FILE_ASSETS = ("Pricing Guide.pdf", "Whitepaper AI.pdf", "Product Datasheet.pdf")
WEBINAR_ASSETS = ("Scoring Leads in the Warehouse", "Product Tour Live", "Customer Panel Q&A")

HUMAN_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
)
BOT_USER_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/124.0.0.0 Safari/537.36",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
)
UNKNOWN_ACTIVITY_TYPES = ("video_play", "sms_click", "page_vew", "ad_impression")
UNPARSEABLE_TIMESTAMPS = ("2024-02-30T25:61:00Z", "yesterday", "17/13/2024 10:00")
