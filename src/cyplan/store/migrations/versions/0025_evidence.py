"""The evidence library (issue 15): interventions, their specification cells, groups and delivery, evidence ratings
as the schemes give them, practice guide topics, and evidence briefs (Markdown).

Revision ID: 0025_evidence
Revises: 0024_sessions
"""

import sqlalchemy as sa
from alembic import op

from cyplan.store.migrations.tenancy import tenant_table

revision = "0025_evidence"
down_revision = "0024_sessions"
branch_labels = None
depends_on = None

CITATION = ("citation", "url", "retrieved")


def _text(*names: str, nullable: bool = True) -> list[sa.Column]:
    return [sa.Column(n, sa.Text(), nullable=nullable) for n in names]


def upgrade() -> None:
    op.create_table(
        "interventions",
        *_text("intervention", "name", nullable=False), *_text("description", "owner"),
        sa.Column("age_from", sa.Integer(), nullable=False), sa.Column("age_to", sa.Integer(), nullable=False),
        *_text("setting", "delivery_model"), *_text("level", nullable=False), *_text("outcomes", "topic"),
        sa.Column("cost_per_case", sa.Double(), nullable=True), *_text("source"),
        sa.PrimaryKeyConstraint("intervention", name="pk_interventions"),
    )
    op.create_table(
        "intervention_cells",
        *_text("intervention", "band", "level", "provision", nullable=False), *_text("source"),
        sa.PrimaryKeyConstraint("intervention", "band", "level", "provision", name="pk_intervention_cells"),
    )
    op.create_table(
        "intervention_groups",
        *_text("intervention", "group", nullable=False), *_text("source"),
        sa.PrimaryKeyConstraint("intervention", "group", name="pk_intervention_groups"),
    )
    op.create_table(
        "intervention_delivery",
        *_text("intervention", "role", nullable=False),
        *(sa.Column(n, sa.Double(), nullable=True) for n in ("hours_per_case", "hours_per_session")),
        *(sa.Column(n, sa.Integer(), nullable=True) for n in ("sessions", "group_size")),
        *_text("source"),
        sa.PrimaryKeyConstraint("intervention", "role", name="pk_intervention_delivery"),
    )
    op.create_table(
        "evidence_ratings",
        *_text("intervention", "scheme", "measure", "rating", nullable=False), *_text(*CITATION, "licence", "source"),
        sa.PrimaryKeyConstraint("intervention", "scheme", "measure", name="pk_evidence_ratings"),
    )
    op.create_table(
        "practice_guides",
        *_text("topic", "title", nullable=False),
        *_text("what_works", "why_how", "who_for", "barriers_enablers", "perspectives", "cost_benefit", *CITATION,
               "source"),
        sa.PrimaryKeyConstraint("topic", name="pk_practice_guides"),
    )
    op.create_table(
        "evidence_briefs",
        *_text("topic", "title", "markdown", "sha256", "imported_at", nullable=False),
        sa.PrimaryKeyConstraint("topic", name="pk_evidence_briefs"),
    )
    for table in ("interventions", "intervention_cells", "intervention_groups", "intervention_delivery",
                  "evidence_ratings", "practice_guides", "evidence_briefs"):
        tenant_table(op.get_bind(), table)


def downgrade() -> None:
    for table in ("evidence_briefs", "practice_guides", "evidence_ratings", "intervention_delivery",
                  "intervention_groups", "intervention_cells", "interventions"):
        op.drop_table(table)
