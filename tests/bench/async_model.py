#!/usr/bin/env python3
"""A fake Anthropic Messages API for holding thousands of connections at once (bench_inflight):
one asyncio event loop, no thread per connection. Each response waits LATENCY seconds, then
turn 1 and 2 ask for a `bash` call and turn 3 answers with text (the turn is the number of
assistant messages in the request). HTTP/1.1 keep-alive, Content-Length bodies only — what
libcurl sends.

Run: python3 async_model.py PORT_FILE LATENCY_S
Writes the port it listens on to PORT_FILE; prints counters to stdout on SIGTERM.
"""

import asyncio
import json
import resource
import signal
import sys

served = {"requests": 0, "final": 0, "open": 0, "peak_open": 0, "errors": 0}


def reply(turn):
    if turn < 2:
        content = [{"type": "tool_use", "id": f"toolu_b{turn}", "name": "bash",
                    "input": {"command": "true"}}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": "done"}]
        stop = "end_turn"
    return {"id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-fake",
            "content": content, "stop_reason": stop,
            "usage": {"input_tokens": 10, "output_tokens": 5}}


async def handle(reader, writer, latency):
    served["open"] += 1
    served["peak_open"] = max(served["peak_open"], served["open"])
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length)
            turn = sum(1 for m in json.loads(body).get("messages", []) if m.get("role") == "assistant")
            await asyncio.sleep(latency)
            out = json.dumps(reply(turn)).encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         b"content-length: " + str(len(out)).encode() + b"\r\n\r\n" + out)
            await writer.drain()
            served["requests"] += 1
            if turn >= 2:
                served["final"] += 1
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    except Exception:  # a malformed request: count it, drop the connection
        served["errors"] += 1
    finally:
        served["open"] -= 1
        writer.close()


async def main(port_file, latency):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    server = await asyncio.start_server(lambda r, w: handle(r, w, latency), "127.0.0.1", 0,
                                        backlog=4096, limit=1 << 20)
    with open(port_file, "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
    print(json.dumps(served), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
