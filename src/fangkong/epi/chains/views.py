"""Pages of transmission chains: the clusters, and one chain as a graph with its timeline."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fangkong.core.pages import page_window
from fangkong.epi.chains import graph as chain_graphs


@login_required
def chains(request: HttpRequest) -> HttpResponse:
    """Clusters (connected components) in the user's jurisdiction, largest first."""
    found = chain_graphs.chain_clusters(request.user)
    rows, pager = page_window(request, found)
    context = {
        "rows": rows,
        "pager": pager,
        "totals": chain_graphs.chain_totals(found),
        "section": "chains",
    }
    return render(request, "epi/chain_list.html", context)


@login_required
def chain(request: HttpRequest, case_id: int) -> HttpResponse:
    """One cluster as a graph (aggregated beyond MAX_NODES) with its timeline."""
    graph = chain_graphs.chain_graph(request.user, case_id)
    labels = {
        "onset": _("Cases by onset"),
        "reported": _("Cases by report"),
        "exposed": _("Contacts by last exposure"),
    }
    context = {"graph": graph, "labels": labels, "case_id": case_id, "section": "chains"}
    return render(request, "epi/chain_detail.html", context)
