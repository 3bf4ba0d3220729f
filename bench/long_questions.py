"""How long a normal question waits while four clients send 2,000-character questions (security review:
38 s before the query embedding was capped). Real server, real index; run from the repo root:

    RAG_INDEX_DIR=/tmp/idx python -m bench.long_questions
"""

from __future__ import annotations

import random
import statistics
import threading
import time

from rag.pipeline import Pipeline
from rag.settings import Settings
from tests.web_helpers import app_server, fetch

NORMAL = "虎邱镇聘请了哪家律师事务所担任法律顾问？"
CHARS = "虎邱镇聘请了哪家律师事务所担任法律顾问德化县法律援助案件安溪县行政诉讼鲤城区普法活动"


def main() -> None:
    settings = Settings(rate_limit_per_minute=0)
    pipe = Pipeline(settings)
    pipe.ensure_index()
    rng = random.Random(7)
    with app_server(pipe, settings) as url:
        fetch("POST", f"{url}/api/ask", {"question": NORMAL})  # warm up
        alone = []
        for _ in range(3):
            t0 = time.perf_counter()
            fetch("POST", f"{url}/api/ask", {"question": NORMAL})
            alone.append(time.perf_counter() - t0)
        stop = threading.Event()

        def flood() -> None:
            while not stop.is_set():
                fetch("POST", f"{url}/api/ask", {"question": "".join(rng.choice(CHARS) for _ in range(2000))})

        threads = [threading.Thread(target=flood, daemon=True) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(2)
        loaded = []
        for _ in range(5):
            t0 = time.perf_counter()
            fetch("POST", f"{url}/api/ask", {"question": NORMAL})
            loaded.append(time.perf_counter() - t0)
        stop.set()
        for t in threads:
            t.join(120)
    print(f"normal question alone: median {statistics.median(alone):.2f} s")
    print(f"with 4 clients sending 2,000-character questions: median {statistics.median(loaded):.2f} s, "
          f"max {max(loaded):.2f} s")


if __name__ == "__main__":
    main()
