"""Hostile manifests are input: each limit is an exit-2 diagnostic with a place, never a hang, a RecursionError or
a Python object built from a YAML tag. (Each case finishes in well under a second; timings are in bench/.)"""

from __future__ import annotations

import pytest

from fnship.errors import InputError
from fnship.manifest import load_manifest, loader
from fnship.manifest.variables import core

HEAD = "service: svc\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: app.handler\n"


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["custom:", '  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return HEAD + "\n".join(lines) + "\n"


def only_problem(env, text: str) -> str:
    problems = env.problems(text)
    assert len(problems) == 1, problems
    return problems[0]


def test_alias_expansion_stops_at_the_value_limit(env):
    problem = only_problem(env, billion_laughs())
    assert problem.startswith("serverless.yml:")
    assert f"the document expands to more than {loader.MAX_NODES} values" in problem


def test_too_many_aliases(env):
    anchors = "custom:\n  x: &x 1\n  many: [" + ", ".join(["*x"] * (loader.MAX_ALIASES + 1)) + "]\n"
    assert f"serverless.yml:9:{4 * loader.MAX_ALIASES + 10}" in only_problem(env, HEAD + anchors)
    assert f"more than {loader.MAX_ALIASES} YAML aliases" in only_problem(env, HEAD + anchors)


def test_deep_block_nesting(env):
    levels = loader.MAX_DEPTH + 1
    text = HEAD + "custom:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(levels)) + " " * levels + " x: 1\n"
    problem = only_problem(env, text)
    assert problem.startswith("serverless.yml:")
    assert f"nested more than {loader.MAX_DEPTH} levels deep" in problem


@pytest.mark.parametrize("levels", [500, 20000])  # libyaml refuses flow nesting past 1000 on its own
def test_deep_flow_nesting(env, levels):
    problem = only_problem(env, HEAD + "custom: " + "{k: [" * levels + "]}" * levels + "\n")
    assert problem.startswith("serverless.yml:7:") and "nest" in problem


def test_a_file_too_large(env):
    text = HEAD + "custom:\n" + "".join(f"  key{i}: {'x' * 60}\n" for i in range(loader.MAX_FILE_BYTES // 60))
    assert only_problem(env, text) == f"serverless.yml:1:1 the file is larger than {loader.MAX_FILE_BYTES // 1024} KiB"


@pytest.mark.parametrize(
    ("raw", "where", "what"),
    [
        (b"service: svc\nprovider:\n  name: \xff\xfeaws\n", "serverless.yml:3:9", "not UTF-8 text (byte 0xff)"),
        (b"service: svc\x00\x01\x02", "serverless.yml:1:13", "binary, not text (control byte 0x00)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "serverless.yml:1:1", "not UTF-8 text (byte 0x89)"),
    ],
)
def test_bytes_that_are_not_text_are_named_with_their_offset(env, raw, where, what):
    (env.root / "serverless.yml").write_bytes(raw)
    with pytest.raises(InputError) as caught:
        load_manifest(env.root / "serverless.yml", env={})
    (problem,) = caught.value.diagnostics
    offset = raw.index(bytes([int(what.rsplit("0x", 1)[1][:2], 16)]))
    assert str(problem.location).endswith(where)
    assert f"{what} at byte offset {offset}" in problem.message


def test_a_utf8_byte_order_mark_is_fine(env):
    (env.root / "serverless.yml").write_bytes(b"\xef\xbb\xbf" + HEAD.encode())
    assert load_manifest(env.root / "serverless.yml", env={}).service == "svc"


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.system ['touch pwned']",
        "!!python/name:os.system",
        "!!binary aGVsbG8=",
        "!!set {a, b}",
        "!!omap [a: 1]",
        "!<tag:yaml.org,2002:python/object/new:os.system> [x]",
    ],
)
def test_no_yaml_tag_builds_a_python_object(env, tagged):
    problem = only_problem(env, HEAD + f"custom:\n  evil: {tagged}\n")
    assert problem.startswith("serverless.yml:8:9 custom.evil: unsupported YAML tag !!")
    assert not (env.root / "pwned").exists()


def test_a_file_that_includes_itself_is_a_cycle_named_with_its_chain(env):
    env.write("a.yml", "next: ${file(./b.yml)}\n")
    env.write("b.yml", "back: ${file(./a.yml)}\n")
    problem = only_problem(env, HEAD + "custom:\n  start: ${file(./a.yml)}\n")
    assert "${file()} cycle: serverless.yml -> a.yml -> b.yml -> a.yml" in problem
    assert problem.startswith("serverless.yml:")


def test_the_manifest_including_itself_is_a_cycle(env):
    problem = only_problem(env, HEAD + "custom:\n  me: ${file(./serverless.yml)}\n")
    assert "serverless.yml:8:7 custom.me: ${file()} cycle: serverless.yml -> serverless.yml" in problem


def test_a_file_may_include_another_part_of_itself(env):
    env.write("config.yml", "name: base\nfull: ${file(./config.yml):name}-full\n")
    manifest = env.load(HEAD + "custom:\n  x: ${file(./config.yml):full}\n")
    assert manifest.custom["x"] == "base-full"


def test_a_long_chain_of_variables(env):
    chain = "".join(f"  v{i}: ${{self:custom.v{i + 1}}}\n" for i in range(2000)) + "  v2000: end\n"
    problem = only_problem(env, HEAD + "custom:\n" + chain)
    assert f"nested or chained more than {core.MAX_VARIABLE_DEPTH} deep" in problem
    assert problem.startswith("serverless.yml:")


def test_deeply_nested_variable_syntax(env):
    nested = "${self:" * 500 + "x" + "}" * 500
    assert f"nested or chained more than {core.MAX_VARIABLE_DEPTH} deep" in only_problem(
        env, HEAD + f"custom:\n  x: '{nested}'\n"
    )


def test_variables_that_multiply_lists(env):
    lines = ["custom:", "  l0: [a, b, c, d, e, f, g, h, i, j]"]
    for level in range(1, 12):
        lines.append(f"  l{level}: [" + ", ".join([f"'${{self:custom.l{level - 1}}}'"] * 10) + "]")
    problem = only_problem(env, HEAD + "\n".join(lines) + "\n")
    assert f"variables copy more than {core.MAX_COPIED_VALUES} values in all" in problem


def test_too_many_substitutions(env):
    body = "".join(f"  k{i}: ${{self:service}}\n" for i in range(core.MAX_SUBSTITUTIONS + 1))
    with pytest.raises(InputError) as caught:
        env.load(HEAD + "custom:\n" + body)
    problems = [str(d) for d in caught.value.diagnostics]
    assert len(problems) == 1 and f"more than {core.MAX_SUBSTITUTIONS} variables to resolve" in problems[0]


def test_hostile_manifest_through_the_cli_exits_2_without_a_traceback(project):
    project.write("serverless.yml", billion_laughs())
    result = project.fn("validate")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and "expands to more than" in result.stderr
