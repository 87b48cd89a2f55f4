"""What a change of many measures or stays answers (`POST /api/quarantine/measures/end`,
`…/sites/{id}/stays/check-in`, `…/check-out`): counts, and each refused row with the reason."""

from typing import Any

from ninja import Schema

from fangkong.core.bulk import StatusBatch
from fangkong.epi.contacts.schemas import RefusedOut  # one schema of that name in the API


class BatchOut(Schema):
    """`changed` and `unchanged` (already in the state asked for) count rows; `refused` names
    each row that cannot make the change. When any is refused nothing was changed (409)."""

    changed: int
    unchanged: int
    refused: list[RefusedOut]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"changed": 38, "unchanged": 2, "refused": []},
                {
                    "changed": 0,
                    "unchanged": 0,
                    "refused": [{"id": 104, "reason": "该管控措施已结束（已解除）"}],
                },
            ]
        }
    }


def batch_out(batch: StatusBatch) -> dict[str, Any]:
    return batch.answer()
