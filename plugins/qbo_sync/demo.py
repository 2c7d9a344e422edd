"""Demo data for the CMMS side of the embedded default (``qbo-sync seed-demo``).

A handful of customers and vendors the maintenance team typed into the CMMS: most are new to
QuickBooks (the first sync creates them there), one matches a QuickBooks customer by name with
different capitalisation (the first sync links it instead of creating a duplicate). Idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa

CUSTOMERS = [
    {
        "display_name": "Harbor View Apartments",
        "company_name": "Harbor View Apartments LLC",
        "email": "facilities@harborview.example",
        "phone": "(415) 555-0142",
        "bill_line1": "88 Embarcadero",
        "bill_city": "San Francisco",
        "bill_region": "CA",
        "bill_postal_code": "94105",
        "bill_country": "USA",
    },
    {
        "display_name": "Mission Street Dental",
        "company_name": "Mission Street Dental Group",
        "email": "office@missiondental.example",
        "phone": "(415) 555-0177",
        "bill_line1": "2210 Mission St",
        "bill_city": "San Francisco",
        "bill_region": "CA",
        "bill_postal_code": "94110",
        "bill_country": "USA",
    },
    {
        "display_name": "Oakridge Elementary School",
        "company_name": "Oakridge Unified School District",
        "email": "maintenance@oakridge.example",
        "phone": "(510) 555-0190",
        "bill_line1": "14 School Rd",
        "bill_city": "Oakland",
        "bill_region": "CA",
        "bill_postal_code": "94611",
        "bill_country": "USA",
    },
]
VENDORS = [
    {
        "display_name": "Bay Area Fasteners Supply",
        "company_name": "Bay Area Fasteners Supply Inc",
        "email": "orders@bafasteners.example",
        "phone": "(650) 555-0111",
        "account_number": "BAF-2291",
    },
    {
        "display_name": "Golden Gate HVAC Parts",
        "company_name": "Golden Gate HVAC Parts Co",
        "email": "sales@gghvac.example",
        "phone": "(415) 555-0123",
        "account_number": "GG-7781",
    },
]


def seed_demo(engine: sa.Engine, *, existing_qbo_customer: str | None = None) -> dict[str, int]:
    """Insert the demo rows that are not there yet; return how many were inserted per table."""
    from qbo_sync.db.schema import customers, vendors

    wanted = list(CUSTOMERS)
    if existing_qbo_customer:
        wanted.append({"display_name": existing_qbo_customer.upper(), "notes": "typed in the CMMS"})
    inserted = {"customers": 0, "vendors": 0}
    with engine.begin() as conn:
        for table, rows in ((customers, wanted), (vendors, VENDORS)):
            existing = {name.casefold() for name in conn.execute(sa.select(table.c.display_name)).scalars()}
            new = [{**row, "active": True} for row in rows if row["display_name"].casefold() not in existing]
            keys = {k for row in new for k in row}
            if new:  # one executemany needs the same keys in every row
                conn.execute(table.insert(), [{k: row.get(k) for k in keys} for row in new])
            inserted[table.name] = len(new)
    return inserted
