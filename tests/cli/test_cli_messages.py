"""The CLI explains itself: help on every option, no abbreviations, bound errors naming the flag,
plurals, piped progress that reaches 100 %, DRS counts never above the number asked for."""

from __future__ import annotations

import argparse
import io
import re
import sys

import numpy as np
import pytest

from gandojo.cli import build_parser, main
from gandojo.cli.util import ProgressBar, plural
from gandojo.datasets.images import FILES
from gandojo.datasets.idx import write_idx
from gandojo.gan.images.sampling import drs_message


def _parsers(parser: argparse.ArgumentParser, name: str = "gandojo"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, p in action.choices.items():
                yield from _parsers(p, f"{name} {sub}")


def test_every_option_of_every_command_has_help_text():
    missing = [f"{name} {'/'.join(a.option_strings) or a.dest}"
               for name, p in _parsers(build_parser()) for a in p._actions
               if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))
               and not (a.help or "").strip()]
    assert missing == []
    names = [n for n, _ in _parsers(build_parser())]
    assert {"gandojo serve", "gandojo train", "gandojo export", "gandojo experiment",
            "gandojo data fetch", "gandojo data info", "gandojo data classifier"} <= set(names)


def test_no_command_takes_an_abbreviated_option(capsys):
    assert all(not p.allow_abbrev for _, p in _parsers(build_parser()))
    with pytest.raises(SystemExit) as exc:
        main(["train", "--epoch", "1"])
    assert exc.value.code == 2 and "--epoch" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # the full name still works as far as parsing goes
        main(["train", "--epochs", "1", "--help"])


@pytest.mark.parametrize("argv, said", [
    (["train", "--epochs", "0"], "argument --epochs: must be >= 1, got 0"),
    (["train", "--subset", "-3"], "argument --subset: must be >= 1, got -3"),
    (["serve", "--port", "70000"], "argument --port: must be <= 65535, got 70000"),
    (["export", "--checkpoint", "c", "--n", "0"], "argument --n: must be >= 1, got 0"),
    (["export", "--checkpoint", "c", "--drs", "nan"], "argument --drs: must be a finite number"),
    (["data", "fetch", "mnist", "--timeout", "0"], "argument --timeout: must be >= 0.1, got 0"),
])
def test_out_of_bounds_flags_are_named_by_argparse(argv, said, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and said in capsys.readouterr().err


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    d = tmp_path / "data" / "mnist" / "download"
    rng = np.random.default_rng(0)
    for split, n in (("train", 32), ("test", 16)):
        write_idx(d / FILES[split][0], rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(d / FILES[split][1], (np.arange(n) % 10).astype(np.uint8))
    monkeypatch.setenv("GANDOJO_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.parametrize("flags, said", [
    (["--batch-size", "8"], "--batch-size must be >= 16, got 8"),
    (["--latent-dim", "600"], "--latent-dim must be <= 512, got 600"),
    (["--lr-g", "5"], "--lr-g must be <= 1.0, got 5.0"),
    (["--beta1", "1.5"], "--beta1 must be < 1.0, got 1.5"),
    (["--k-d", "0"], "--k-d must be >= 1, got 0"),
    (["--loss", "bogus"], "--loss must be one of"),
    (["--config", '{"label_smoothing": 3}'], "--config label_smoothing must be <= 0.5, got 3"),
])
def test_config_bounds_name_the_flag_not_a_pydantic_dump(flags, said, tiny_mnist, capsys):
    assert main(["train", "--epochs", "1", "--device", "cpu", "--out", str(tiny_mnist / "r"), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gandojo: ") and said in err and err.count("\n") == 1
    assert "validation error" not in err and "pydantic" not in err and "type=" not in err
    assert err.count("--beta1") <= 1  # one line per flag, though it sets both nets' betas


def test_plurals_and_a_finished_piped_progress_bar(tiny_mnist, capsys):
    assert (plural(1, "epoch"), plural(2, "epoch"), plural(0, "epoch")) == ("1 epoch", "2 epochs", "0 epochs")
    assert main(["train", "--epochs", "1", "--batch-size", "16", "--latent-dim", "4", "--device", "cpu",
                 "--out", str(tiny_mnist / "r")]) == 0
    cap = capsys.readouterr()
    assert "for 1 epoch ->" in cap.err and "1 epochs" not in cap.err
    assert re.search(r"100\.0%", cap.err), cap.err  # stderr is not a terminal here
    assert "done: 2 iterations" in cap.out


def test_piped_progress_prints_a_last_100_percent_line(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    bar = ProgressBar("job")
    for i in range(1, 100):  # reports stop at 99 %, as a loop reporting every N steps does
        bar.update(i / 100)
    assert "100.0%" not in err.getvalue()
    bar.finish("done")
    lines = err.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].startswith("job: 100.0%") and lines[-1].endswith("done")


def test_drs_progress_never_counts_more_than_requested():
    assert drs_message(10_010, 10_000, 21_000) == "DRS: 10,000/10,000 kept (10,010 of 21,000 drawn accepted)"
    assert drs_message(500, 10_000, 1_000).startswith("DRS: 500/10,000 kept")
    for accepted in (0, 9_999, 10_000, 10_001, 99_999):
        kept = int(drs_message(accepted, 10_000, 100_000).split()[1].split("/")[0].replace(",", ""))
        assert kept == min(accepted, 10_000)


def test_the_feature_network_trains_once_per_data_source_with_progress(tiny_mnist, capsys):
    run = ["train", "--model", "cgan", "--epochs", "1", "--batch-size", "16", "--latent-dim", "4",
           "--device", "cpu", "--metrics-samples", "20"]
    assert main([*run, "--out", str(tiny_mnist / "a")]) == 0
    first = capsys.readouterr().err
    assert "training the LeNet feature network" in first and "feature network: 100.0%" in first
    assert list((tiny_mnist / "data" / "classifiers").glob("mnist-download-*.safetensors"))
    assert main([*run, "--out", str(tiny_mnist / "b")]) == 0
    assert "feature network" not in capsys.readouterr().err  # cached: no second training


def test_a_bad_environment_value_is_named(monkeypatch, capsys):
    monkeypatch.setenv("GANDOJO_PORT", "eighty")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "gandojo: GANDOJO_PORT='eighty' is not a valid int"
