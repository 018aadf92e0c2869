"""harnessctl without surprises (issue 11 item 4): real harnessctl against a real harnessd."""

import json

import harness_env as he


def test_repeatable_flags_never_eat_the_prompt(daemon_factory, fake):
    d = daemon_factory()
    code, out, err = d.ctl("submit", "-q", "--label", "team=a", "--label", "env=ci", "--input", __file__,
                           "--ask", "bash", "--deny", "write_file:/etc/*", "fix it")
    assert code == 0, err
    leaf = d.leaf(out.strip())
    assert leaf["prompt"] == "fix it"
    assert leaf["labels"] == {"team": "a", "env": "ci"}
    code, out, err = d.ctl("ls", "--label", "team=a", "-o", "json")
    assert code == 0, err
    assert he.ls_ids(out) == [leaf["id"]]
