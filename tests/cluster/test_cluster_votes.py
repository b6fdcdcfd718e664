"""A round's votes and decisions carry the stage that failed, so a refusal by another process
fails here at that process's stage; votes and decisions of an older process (no stage) read as
the cluster vote. No Redis: the votes are decided as :meth:`ClusterReload.decide` decides them,
through JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, cast

from core.cluster_reload import ClusterReload, Verdict, _refusal, _RoundGate, _stage
from core.reloader import Failure, ReloadStage


@dataclass
class Votes:
    """The decision over the other processes' votes and the one cast here (all of them in)."""

    others: dict[str, dict[str, Any]]
    cast: dict[str, Any] = field(default_factory=dict)

    async def decide(
        self, base: str, vote: dict[str, Any], voters: list[str], verdict: Verdict
    ) -> str:
        self.cast = json.loads(json.dumps(vote))
        votes = {**json.loads(json.dumps(self.others)), "here": self.cast}
        decision = verdict(votes, voters, False)
        assert decision is not None
        return decision


def gate(votes: Votes) -> _RoundGate:
    return _RoundGate(cast(ClusterReload, votes), "round", ["here", *votes.others])


VERSIONS = {"greet": "0.1.0+abc"}


async def test_a_refusal_by_another_process_fails_here_at_its_stage() -> None:
    error = "import of 'greet' failed: SyntaxError"
    votes = Votes({"b": {"ok": False, "stage": "import", "error": error, "versions": {}}})

    refused = await gate(votes).prepared(["greet"], VERSIONS, None)

    assert refused == (
        ReloadStage.IMPORT,
        f"cluster vote: process b could not prepare it: {error}",
    )
    assert votes.cast == {"ok": True, "stage": None, "error": None, "versions": VERSIONS}


async def test_a_vote_against_carries_its_stage() -> None:
    votes = Votes({"b": {"ok": True, "error": None}})
    failure: Failure = (ReloadStage.SETUP, "setup: plugin 'greet' failed to load: boom")

    refused = await gate(votes).swapped(["greet"], failure)

    assert votes.cast == {"ok": False, "stage": "setup", "error": failure[1]}
    assert refused == (
        ReloadStage.SETUP,
        f"cluster vote: process here could not swap to it: {failure[1]}",
    )


async def test_a_vote_of_an_older_process_reads_as_the_cluster_vote() -> None:
    votes = Votes({"b": {"ok": False, "error": "import: broken", "versions": {}}})

    refused = await gate(votes).prepared(["greet"], VERSIONS, None)

    assert refused == (
        ReloadStage.CLUSTER,
        "cluster vote: process b could not prepare it: import: broken",
    )


async def test_files_that_differ_are_refused_at_the_cluster_vote() -> None:
    votes = Votes({"b": {"ok": True, "stage": None, "error": None, "versions": {"greet": "x"}}})

    refused = await gate(votes).prepared(["greet"], VERSIONS, None)

    assert refused == (
        ReloadStage.CLUSTER,
        "cluster vote: the processes' files differ (2 versions)",
    )
    assert await gate(Votes({})).prepared(["greet"], VERSIONS, None) is None  # alone: swap


def test_a_decision_of_an_older_process_reads_as_the_cluster_vote() -> None:
    assert _refusal("swap") is None
    assert _refusal("keep: no vote in 10s from b") == (
        ReloadStage.CLUSTER,
        "cluster vote: no vote in 10s from b",
    )


def test_a_stage_this_process_does_not_know_reads_as_the_cluster_vote() -> None:
    assert _stage("schema check") is ReloadStage.SCHEMA
    assert _stage("a stage of a newer version") is ReloadStage.CLUSTER
    assert _stage(None) is ReloadStage.CLUSTER
