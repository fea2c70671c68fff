"""Where a run keeps each client's cost dataset: runs/<run>/<client>/costs-source.json, one
`ClientCosts` per client, written by whatever read the source (the export split, or Cost Explorer)
and read by the client's own Map child only (tenant isolation by prefix)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.constants import COST_SOURCE_ARTEFACT, COST_SOURCE_REFUSAL, EXPORT_QUERIES_FOLDER, RUNS_PREFIX
from chalicelib.core.errors import BusinessLogicError, CostReportError, DataValidationError
from chalicelib.core.models import StrictModel
from chalicelib.core.store.objects import get_model, put_model
from chalicelib.costs.contracts import ClientCosts


class SliceRefusal(StrictModel):
    """Why the source wrote no dataset for a client (two currencies, its export's query failed, ...)."""

    client_id: str
    reason: str = Field(min_length=1)


def slice_key(run_id: str, client_id: str) -> str:
    return f"{RUNS_PREFIX}{run_id}/{client_id}/{COST_SOURCE_ARTEFACT}"


def put_slice(run_id: str, costs: ClientCosts) -> str:
    return put_model(slice_key(run_id, costs.client_id), costs)


def put_slice_json(run_id: str, client_id: str, text: str) -> str:
    """A dataset already serialised as ClientCosts JSON (the export split writes millions of rows so);
    get_slice validates it when the client reads it."""
    from chalicelib.core.store.objects import put_text

    return put_text(slice_key(run_id, client_id), text, "application/json")


def refusal_key(run_id: str, client_id: str) -> str:
    return f"{RUNS_PREFIX}{run_id}/{client_id}/{COST_SOURCE_REFUSAL}"


def put_refusal(run_id: str, client_id: str, reason: str) -> str:
    return put_model(refusal_key(run_id, client_id), SliceRefusal(client_id=client_id, reason=reason))


def refuse(run_id: str, client_ids: list[str], reason: str) -> None:
    """The same reason for each of these clients: their collect step reports it instead of a dataset."""
    for client_id in client_ids:
        put_refusal(run_id, client_id, reason[:2000])


def started_key(run_id: str, export: str) -> str:
    """runs/<run>/export-queries/<export>.json: a started query of the run, with the snapshots it reads."""
    return f"{RUNS_PREFIX}{run_id}/{EXPORT_QUERIES_FOLDER}/{export}.json"


def get_slice(run_id: str, client_id: str) -> ClientCosts:
    """The client's dataset for the run; a slice that names another client is refused, never used.
    No slice: the reason the source wrote instead (BusinessLogicError), else the read's own error."""
    try:
        costs = get_model(slice_key(run_id, client_id), ClientCosts)
    except CostReportError as missing:
        try:
            refusal = get_model(refusal_key(run_id, client_id), SliceRefusal)
        except CostReportError:
            raise missing from None
        raise BusinessLogicError(f"no cost data for client {client_id}: {refusal.reason}") from None
    if costs.client_id != client_id:
        raise DataValidationError(f"cost slice {slice_key(run_id, client_id)} belongs to another client")
    return costs
