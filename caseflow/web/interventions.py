"""The evidence catalogue of interventions, for everyone who plans, reviews or oversees them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from caseflow.web.policy import allow
from workflows.interventions import CAUTION, DELIVERY_TYPES, PROGRAMMES, SOURCE

bp = Blueprint("interventions", __name__, url_prefix="/interventions")


@bp.get("")
@allow("any")
def catalogue() -> Any:
    """Every programme with its evidence; ``?delivery=`` narrows it to one kind of delivery.

    The catalogue is published evidence, not anyone's personal data, so every signed-in user may read it."""
    delivery = request.args.get("delivery", "")
    unknown = bool(delivery) and delivery not in DELIVERY_TYPES
    shown = [p for p in PROGRAMMES if not delivery or unknown or p["delivery"] == delivery]
    return render_template(
        "interventions/catalogue.html",
        programmes=shown,
        delivery=None if unknown else delivery,
        unknown_delivery=unknown,
        delivery_types=DELIVERY_TYPES,
        caution=CAUTION,
        source=SOURCE,
    ), (400 if unknown else 200)
