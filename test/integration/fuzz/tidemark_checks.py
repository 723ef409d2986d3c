"""Schemathesis checks for Tidemark's error contract (loaded by api-fuzz.test.ts via SCHEMATHESIS_HOOKS).

Every refused request answers JSON {code, message} with both non-empty; a 400 (bad input) also
names the offending field. 429 comes from the stage throttle and is left to the gateway.
"""
import ast
import threading

import schemathesis

# CPython 3.11 before 3.11.8 (gh-106905): ast.parse from two threads at once can fail with
# "SystemError: AST constructor recursion depth mismatch". Hypothesis parses lambda sources to
# describe strategies, and --workers 2 runs two threads, so their parses take turns here.
_parse = ast.parse
_parse_lock = threading.Lock()


def _parse_one_at_a_time(*args, **kwargs):
    with _parse_lock:
        return _parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time


@schemathesis.check
def error_names_the_problem(ctx, response, case):
    status = response.status_code
    if status < 400 or status >= 500 or status == 429:
        return
    try:
        body = response.json()
    except ValueError as error:
        raise AssertionError(f"{status} body is not JSON: {response.text[:200]}") from error
    assert isinstance(body, dict), f"{status} body is not an object: {response.text[:200]}"
    for key in ("code", "message"):
        assert isinstance(body.get(key), str) and body[key], f"{status} without {key}: {response.text[:200]}"
    if status == 400:
        assert isinstance(body.get("field"), str) and body["field"], f"400 without field: {response.text[:300]}"
