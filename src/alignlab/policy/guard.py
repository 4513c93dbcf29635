"""A policy bundle around a model: features, the request and response decisions, and rewrites.

:class:`Guard` is what both the ``guard`` intervention and ``alignlab serve``
use. It is synchronous and thread-safe; callers that must fail closed catch
:class:`~alignlab.policy.bundle.PolicyError` (which a feature timeout also is).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from alignlab.policy.bundle import Decision, PolicyBundle, PolicyError, Stage
from alignlab.policy.features import FeatureExtractor
from alignlab.policy.grader import Ask, GraderFeature, questions_of

DEFAULT_FEATURE_TIMEOUT_S = 5.0
FEATURE_WORKERS = 4
# Threads of the proxy's check pool: FEATURE_WORKERS at work, the rest stand in for checks
# abandoned past the timeout (past that many, new checks wait, time out and fail closed).
CHECK_THREADS = 4 * FEATURE_WORKERS
_POOL_LOCK = threading.Lock()


class FeatureTimeout(PolicyError):
    """Computing a message's features took longer than the guard allows."""


@dataclass(frozen=True)
class Verdict:
    """One stage's outcome: the decision, the features it saw, and the text to use."""

    stage: Stage
    decision: Decision
    features: dict[str, Any]
    text: str
    seconds: float
    rewritten: bool = False

    @property
    def blocked(self) -> bool:
        return self.decision.action == "deny"

    def refusal(self) -> str:
        """What the user sees when the stage denies: the policy's reasons."""
        reasons = "; ".join(self.decision.reasons) or "the policy denied it"
        what = "request" if self.stage == "request" else "answer"
        return f"I can't help with that: this {what} was blocked by policy ({reasons})."

    def audit_features(self) -> dict[str, Any]:
        """The features as the audit log stores them: without the lower-cased copy of the text."""
        return {k: v for k, v in self.features.items() if k != "lower"}


@dataclass
class Guard:
    """A compiled bundle plus the feature extractor it asks for."""

    bundle: PolicyBundle
    extractor: FeatureExtractor
    feature_timeout_s: float = DEFAULT_FEATURE_TIMEOUT_S
    grader: GraderFeature | None = None
    _pool: concurrent.futures.ThreadPoolExecutor = field(
        default_factory=lambda: concurrent.futures.ThreadPoolExecutor(
            max_workers=FEATURE_WORKERS, thread_name_prefix="alignlab-features"
        ),
        repr=False,
    )
    _checks: concurrent.futures.ThreadPoolExecutor | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        root: str | Path,
        feature_timeout_s: float = DEFAULT_FEATURE_TIMEOUT_S,
        warm: bool = True,
    ) -> Guard:
        """Compile the bundle in ``root`` and build its feature extractor.

        ``warm`` loads the feature models now, so the first request's
        features are not timed against the model loading.

        Raises:
            PolicyError: the bundle does not load or asks for an unknown feature.
        """
        bundle = PolicyBundle.load(root)
        extractor = FeatureExtractor.for_bundle(bundle.data)
        grader = None
        if "grader" in extractor.enabled:
            source = str(bundle.root / "data.json")
            grader = GraderFeature(questions_of(bundle.data, source), timeout_s=feature_timeout_s)
        if warm:
            extractor.warm()
        return cls(bundle, extractor, feature_timeout_s, grader)

    @property
    def workers(self) -> int:
        """How many messages' features can be computed at once."""
        return FEATURE_WORKERS

    @property
    def digest(self) -> str:
        return self.bundle.digest

    def features(self, text: str) -> dict[str, Any]:
        """Features of ``text`` within the timeout.

        Raises:
            FeatureTimeout: the feature scorers did not answer in time.
        """
        future = self._pool.submit(self.extractor.features, text)
        try:
            return future.result(timeout=self.feature_timeout_s)
        except concurrent.futures.TimeoutError:
            raise FeatureTimeout(
                f"feature scoring took longer than {self.feature_timeout_s:g} s"
            ) from None

    async def grade(self, text: str, ask: Ask | None) -> dict[str, Any]:
        """The grader verdicts of ``text`` (``{}`` when the bundle asks for none).

        Raises:
            PolicyError: the bundle asks for grader verdicts and no grader was given,
                or the grader failed.
            FeatureTimeout: the grader did not answer in time.
        """
        if self.grader is None:
            return {}
        if ask is None:
            raise PolicyError(
                "the bundle's features include 'grader' but no grader model was given"
            )
        return await self.grader.verdicts(text, ask)

    def check_request(
        self, messages: Sequence[Mapping[str, str]], extra: Mapping[str, Any] | None = None
    ) -> Verdict:
        """Judge the last user message of ``messages`` with the request policy.

        ``extra``: features computed elsewhere (the grader verdicts), merged in.
        """
        text = last_user_text(messages)
        return self._check("request", text, messages, None, extra)

    def check_response(
        self,
        messages: Sequence[Mapping[str, str]],
        answer: str,
        request_features: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Verdict:
        """Judge ``answer`` to ``messages`` with the response policy."""
        if request_features is None:
            request_features = self.features(last_user_text(messages))
        return self._check("response", answer, messages, request_features, extra)

    async def check_request_async(
        self, messages: Sequence[Mapping[str, str]], ask: Ask | None = None, limiter: Any = None
    ) -> Verdict:
        """:meth:`check_request` with the grader verdicts, from async code (one worker thread)."""
        extra = await self.grade(last_user_text(messages), ask)
        text = last_user_text(messages)
        return await self._in_thread(
            functools.partial(self._check, "request", text, messages, None, extra, True), limiter
        )

    async def check_response_async(
        self,
        messages: Sequence[Mapping[str, str]],
        answer: str,
        request_features: Mapping[str, Any] | None = None,
        ask: Ask | None = None,
        limiter: Any = None,
    ) -> Verdict:
        """:meth:`check_response` with the grader verdicts, from async code (one worker thread)."""
        extra = await self.grade(answer, ask)

        def check() -> Verdict:
            known = request_features
            if known is None:
                known = self.extractor.features(last_user_text(messages))
            return self._check("response", answer, messages, known, extra, True)

        return await self._in_thread(check, limiter)

    async def _in_thread(self, check: Any, limiter: Any) -> Verdict:
        """Run ``check`` (features and the decision) in one worker thread, within the timeout.

        ``limiter`` (an async context manager such as ``asyncio.Semaphore`` or
        ``anyio.CapacityLimiter``) bounds how many checks run at once; time
        spent waiting for it is not counted against the timeout. Past the
        timeout the caller gets :class:`FeatureTimeout` at once (the thread is
        abandoned and its result dropped).

        With a limiter on an asyncio loop (the proxy) the check goes straight
        to the guard's own thread pool (``run_in_executor`` and
        ``asyncio.timeout``): one future and one wake-up of the loop, about
        half the event-loop work of anyio's worker-thread path (bench/README.md,
        issue 10). Without a limiter (the interventions, possibly many checks
        at once) or on another event loop, anyio's worker threads run it.
        """
        try:
            loop = asyncio.get_running_loop() if limiter is not None else None
        except RuntimeError:  # not asyncio (trio)
            loop = None
        if loop is None:
            return await self._in_anyio_thread(check, limiter)
        async with limiter:
            future = loop.run_in_executor(self._check_pool(), check)
            try:
                async with asyncio.timeout(self.feature_timeout_s):
                    return cast(Verdict, await future)
            except TimeoutError:
                raise FeatureTimeout(
                    f"feature scoring took longer than {self.feature_timeout_s:g} s"
                ) from None

    def _check_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        """Threads for the proxy's checks: the limiter's ``workers`` run at once, and spare
        threads stand in for checks abandoned past the timeout (still running)."""
        pool = self._checks
        if pool is None:
            with _POOL_LOCK:
                if self._checks is None:
                    self._checks = concurrent.futures.ThreadPoolExecutor(
                        max_workers=CHECK_THREADS, thread_name_prefix="alignlab-checks"
                    )
                pool = self._checks
        return pool

    async def _in_anyio_thread(self, check: Any, limiter: Any) -> Verdict:
        import anyio

        async with contextlib.AsyncExitStack() as stack:
            if limiter is not None:
                await stack.enter_async_context(limiter)
            try:
                with anyio.fail_after(self.feature_timeout_s):
                    return cast(
                        Verdict, await anyio.to_thread.run_sync(check, abandon_on_cancel=True)
                    )
            except TimeoutError:
                raise FeatureTimeout(
                    f"feature scoring took longer than {self.feature_timeout_s:g} s"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _check(
        self,
        stage: Stage,
        text: str,
        messages: Sequence[Mapping[str, str]],
        request_features: Mapping[str, Any] | None,
        extra: Mapping[str, Any] | None = None,
        inline: bool = False,
    ) -> Verdict:
        """One stage's check; ``inline``: compute features in this thread (already a worker)."""
        started = time.perf_counter()
        if self.grader is not None and "grader" not in (extra or {}):
            raise PolicyError(
                "the bundle's features include 'grader' but no grader verdicts were given "
                "(use check_request_async / check_response_async with a grader)"
            )
        features = self.extractor.features(text) if inline else self.features(text)
        if extra:
            features.update(extra)
        document: dict[str, Any] = {
            "stage": stage,
            "text": text,
            "messages": [
                {"role": str(m.get("role", "")), "content": str(m.get("content") or "")}
                for m in messages
            ],
            "features": features,
        }
        if request_features is not None:
            document["request_features"] = dict(request_features)
        decision = self.bundle.decide(stage, document)
        out_text, rewritten = text, False
        if decision.action == "rewrite":
            out_text, rewritten = rewrite(text, decision, features), True
        return Verdict(
            stage, decision, features, out_text, time.perf_counter() - started, rewritten
        )


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The content of the last user message ('' when there is none)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def rewrite(text: str, decision: Decision, features: Mapping[str, Any]) -> str:
    """The deterministic rewrite a ``rewrite`` decision asks for.

    PII spans of the types in ``decision.redact`` become ``<TYPE>``; then
    ``decision.notice`` is appended as a new paragraph. (Free-form rewriting
    by a second model is the ``aligner`` intervention's job.)
    """
    redact = set(decision.redact)
    spans = sorted(
        (h for h in features.get("pii", []) if h["type"] in redact),
        key=lambda h: h["start"],
    )
    out, cursor = [], 0
    for hit in spans:
        if hit["start"] < cursor:
            continue
        out.append(text[cursor : hit["start"]])
        out.append(f"<{hit['type']}>")
        cursor = hit["end"]
    out.append(text[cursor:])
    result = "".join(out)
    if decision.notice:
        result = f"{result.rstrip()}\n\n{decision.notice}" if result.strip() else decision.notice
    return result
