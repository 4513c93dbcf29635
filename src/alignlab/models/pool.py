"""One model served by several OpenAI-compatible endpoints: each request goes to the least busy.

``alignlab eval --model openai-api/local/qwen --model-base-url URL1,URL2,...``
(vLLM or llama.cpp replicas of one model) runs as the Inspect model
``alignlab-pool/openai-api/local/qwen`` with ``base_urls="URL1,URL2,..."``:
each generate call is sent to the endpoint with the fewest requests in
flight (ties: the one that served fewest), so Inspect's concurrent samples
spread over the replicas. Inspect's retries, cache and connection limit
apply to the pool as to one model; the connection limit is the sum of the
endpoints' limits.
"""

from __future__ import annotations

from typing import Any

from inspect_ai.model import GenerateConfig, ModelAPI, ModelOutput, get_model

PROVIDER = "alignlab-pool"


def split_urls(base_url: str | None) -> list[str]:
    """The endpoints of a comma-separated ``--model-base-url`` (one, or several)."""
    return [u.strip() for u in (base_url or "").split(",") if u.strip()]


def route(model: str, base_url: str | None, model_args: dict[str, Any]) -> tuple[str, str | None]:
    """``(model, base_url)`` to run: several URLs make the pool, with them in ``model_args``."""
    urls = split_urls(base_url)
    if len(urls) < 2:
        return model, base_url
    model_args["base_urls"] = ",".join(urls)
    return f"{PROVIDER}/{model}", None


class EndpointPoolAPI(ModelAPI):
    """Inspect model API that spreads generate calls over one model's endpoints."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig | None = None,
        base_urls: str = "",
        **model_args: Any,
    ) -> None:
        config = config or GenerateConfig()
        super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, config=config)
        urls = split_urls(base_urls) or split_urls(base_url)
        if not urls:
            raise ValueError(f"{PROVIDER}/{model_name} needs base_urls=URL1,URL2,...")
        self.urls = urls
        self.members = [
            get_model(model_name, base_url=u, config=config, memoize=False, **model_args).api
            for u in urls
        ]
        self.in_flight = [0] * len(urls)
        self.served = [0] * len(urls)

    async def generate(
        self, input: Any, tools: Any, tool_choice: Any, config: GenerateConfig
    ) -> Any:
        i = min(range(len(self.members)), key=lambda k: (self.in_flight[k], self.served[k]))
        self.in_flight[i] += 1
        self.served[i] += 1
        try:
            result = await self.members[i].generate(input, tools, tool_choice, config)
        finally:
            self.in_flight[i] -= 1
        output = result[0] if isinstance(result, tuple) else result
        if isinstance(output, ModelOutput):
            output.metadata = {**(output.metadata or {}), "endpoint": self.urls[i]}
        return result

    def max_connections(self) -> int:
        return sum(m.max_connections() for m in self.members)

    def connection_key(self) -> str:
        return ",".join(self.urls)

    def should_retry(self, ex: Exception) -> Any:
        return self.members[0].should_retry(ex)

    def max_tokens(self) -> int | None:
        return self.members[0].max_tokens()

    def collapse_user_messages(self) -> bool:
        return self.members[0].collapse_user_messages()

    def collapse_assistant_messages(self) -> bool:
        return self.members[0].collapse_assistant_messages()

    def tools_required(self) -> bool:
        return self.members[0].tools_required()
