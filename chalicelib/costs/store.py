"""Where a run keeps each client's cost dataset: runs/<run>/<client>/costs-source.json, one
`ClientCosts` per client, written by whatever read the source (the export split, or Cost Explorer)
and read by the client's own Map child only (tenant isolation by prefix)."""

from __future__ import annotations

from chalicelib.core.constants import COST_SOURCE_ARTEFACT, RUNS_PREFIX
from chalicelib.core.errors import DataValidationError
from chalicelib.core.store.objects import get_model, put_model
from chalicelib.costs.contracts import ClientCosts


def slice_key(run_id: str, client_id: str) -> str:
    return f"{RUNS_PREFIX}{run_id}/{client_id}/{COST_SOURCE_ARTEFACT}"


def put_slice(run_id: str, costs: ClientCosts) -> str:
    return put_model(slice_key(run_id, costs.client_id), costs)


def get_slice(run_id: str, client_id: str) -> ClientCosts:
    """The client's dataset for the run; a slice that names another client is refused, never used."""
    costs = get_model(slice_key(run_id, client_id), ClientCosts)
    if costs.client_id != client_id:
        raise DataValidationError(f"cost slice {slice_key(run_id, client_id)} belongs to another client")
    return costs
