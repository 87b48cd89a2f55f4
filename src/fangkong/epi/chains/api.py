"""REST endpoints for transmission chains (mounted under /api/ after contact finding's, under
the same "finding" tag)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page
from fangkong.epi.chains import graph

router = Router(tags=["finding"])


# Shapes -------------------------------------------------------------------------------


class ClusterOut(Schema):
    key: int = Field(description="Id of the cluster's earliest case: GET /api/chains/{key}")
    size: int
    cases: int
    close: int
    secondary: int
    case_numbers: list[str]
    first_onset: dt.date | None


class NodeOut(Schema):
    id: str
    name: str
    category: int = Field(description="Index into `categories`")
    case: int | None = Field(None, description="Case id, for a case node")
    count: int | None = Field(None, description="People folded into an aggregate node")
    aggregate: bool = False


class LinkOut(Schema):
    source: str
    target: str


class TimelineOut(Schema):
    days: list[dt.date]
    onset: list[int]
    reported: list[int]
    exposed: list[int]


class CategoryOut(Schema):
    name: str


class ChainOut(Schema):
    key: int
    size: int
    cases: int
    close: int
    secondary: int
    aggregated: bool = Field(description="Some groups are drawn as one node with a count")
    categories: list[CategoryOut]
    nodes: list[NodeOut]
    links: list[LinkOut]
    timeline: TimelineOut


# Chains -------------------------------------------------------------------------------


def _cluster_out(c: graph.Cluster) -> dict[str, Any]:
    return {
        "key": c.key,
        "size": c.size,
        "cases": c.cases,
        "close": c.close,
        "secondary": c.secondary,
        "case_numbers": c.numbers[:20],
        "first_onset": c.first_onset,
    }


@router.get("/chains", response={200: Page[ClusterOut], **ERRORS}, summary="Clusters")
def chain_list(request: HttpRequest, limit: int = Limit, offset: int = Offset) -> dict[str, Any]:
    """Transmission clusters (connected components) in your jurisdiction, largest first."""
    found_clusters = graph.chain_clusters(request.user)
    window = found_clusters[offset : offset + limit]
    more = len(found_clusters) > offset + limit
    return {
        "items": [_cluster_out(c) for c in window],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if more else None,
    }


@router.get("/chains/{int:case_id}", response={200: ChainOut, **ERRORS}, summary="A chain")
def chain_detail(
    request: HttpRequest,
    case_id: Id,
    max_nodes: int = Query(graph.MAX_NODES, ge=10, le=graph.MAX_NODES),
) -> dict[str, Any]:
    """The cluster holding this case as graph data, with at most `max_nodes` nodes.

    Groups too large to draw one by one come as a single node with `aggregate` and `count`.
    Roles that may not see contacts get every contact group as a count.
    """
    return graph.chain_graph(request.user, case_id, max_nodes=max_nodes)
