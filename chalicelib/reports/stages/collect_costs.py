"""collect: the client's costs for both periods, written to S3 as a CostDataset."""

from __future__ import annotations

from chalicelib.reports.costs.explorer import fetch_costs
from chalicelib.core.errors import ConfigurationError
from chalicelib.core.models import ClientConfig, parse_client_config
from chalicelib.core.store import artefacts, table
from chalicelib.reports.contracts import ClientTask, CollectCostsResult, CostDataset


def collect(task: ClientTask) -> CollectCostsResult:
    run = task.run
    table.put_client_record(run.run_id, task.client_id, {"status": "running", "updated_at": table.utcnow().isoformat()})
    config = load_config(task.client_id)
    lines, currency, estimated, requests = fetch_costs(config, run)
    dataset = CostDataset(client=config, run=run, currency=currency, estimated=estimated, lines=lines, ce_requests=requests)
    key = artefacts.put_model(artefacts.artefact_key(run.run_id, task.client_id, "costs.json"), dataset)
    return CollectCostsResult(data_key=key, ce_requests=requests)


def load_config(client_id: str) -> ClientConfig:
    raw = table.get_client_config(client_id)
    if raw is None:
        raise ConfigurationError(f"client_id: no client {client_id!r} is configured")
    parsed = parse_client_config(client_id, raw)
    if isinstance(parsed, str):
        raise ConfigurationError(parsed)
    return parsed
