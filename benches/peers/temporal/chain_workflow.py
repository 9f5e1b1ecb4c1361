"""The W1 workflow and activity, in their own module so that the Python SDK's workflow
sandbox can re-import it without pulling in the harness (subprocess, /proc, pathlib...)."""

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy


@activity.defn
async def noop() -> None:
    return None


@workflow.defn
class Chain:
    """K no-op activities in sequence; returns K."""

    @workflow.run
    async def run(self, steps: int) -> int:
        for _ in range(steps):
            await workflow.execute_activity(
                noop,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        return steps
