"""An image-GAN session (MNIST, Fashion-MNIST): the worker loop, epochs, grid, interpolation, jobs.

Shares the command queue, futures and newest-only fan-out with the 2D session (`BaseSession`).
Frames go out at most ~10 times a second and redraw the sample grid only within a small time
budget, so streaming costs a few % of training. Metrics and the retraining experiment run as
background jobs on a copy of G and D taken on the worker thread; training never waits for them.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable

from ..datasets.idx import DataError
from ..datasets.images import find_sources, load_split
from ..gan.images.config import merged_image_config
from ..gan.images.experiments import retraining_experiment
from ..gan.images.metrics import evaluate_trainer
from ..gan.images.trainer import ImageTrainer, Part
from . import image_checkpoint
from .base import BaseSession, InputError, SessionDeps, handles
from .catalogue import reset_kind_error
from .frames import Frame
from .classifier_cache import cached_classifier
from .image_export import export_bytes
from .image_frames import EpochTracker, GridView, Interpolation, build_image_frame
from .jobs import Job, JobCancelled, JobRegistry, Progress, span
from .limits import check, check_steps

MAX_FPS = 10
FEATURE_NET = "gandojo LeNet (own MNIST classifier)"
DRS_PERCENTILE = 95.0


class ImageSession(BaseSession):
    """Model, optimizers, RNGs, epoch accounting, grid view and jobs of one image GAN."""

    kind = "image"
    max_fps = MAX_FPS

    def __init__(self, sid: str, token: str, trainer: ImageTrainer, fps: int = MAX_FPS,
                 jobs: JobRegistry | None = None, data_root: str | os.PathLike | None = None, *,
                 deps: SessionDeps | None = None) -> None:
        super().__init__(sid, token, trainer, fps, deps)
        jobs = jobs if jobs is not None else self.deps.jobs
        self.jobs = jobs if jobs is not None else JobRegistry()
        self.data_root = data_root if data_root is not None else self.deps.data_root
        self.tracker = EpochTracker(trainer)
        self.view = GridView(MAX_FPS)
        self._start()

    # ------------------------------------------------------------ thread-safe API
    def info(self) -> dict[str, Any]:
        t = self.trainer
        return {"id": self.id, "kind": "image", "dataset": t.data.name, "seed": t.seed,
                "iteration": t.iteration, "config": t.config.model_dump(), "model": t.config.model,
                "data": {"name": t.data.name, "source": t.data.source, "count": t.data.count},
                "classes": list(t.data.classes), "keep": self.keep, "saved_as": self.saved_as,
                **self.state()}

    def state(self) -> dict[str, Any]:
        ip = self.view.interpolation
        return {"running": self.running, "paused_reason": self.paused_reason,
                "iterations_per_frame": self.iterations_per_frame, "grid_label": self.view.label,
                "interpolation": None if ip is None else vars(ip).copy(), "viewers": self._fan.viewers}

    def close(self) -> None:
        self.jobs.cancel_session(self.id)
        super().close()

    def start_metrics(self, n: int = 2000, drs: bool = False) -> Job:
        """FID, IS, precision/recall (and cgan classifier accuracy) of n samples, as a job."""
        return self.jobs.start(self.id, "metrics", lambda p, c: self._metrics_job(p, n, drs),
                               self._broadcast)

    def start_experiment(self, n_train: int | None = None, epochs: int | None = None) -> Job:
        """The classifier-retraining experiment on real/generated mixes, as a job."""
        return self.jobs.start(self.id, "experiment",
                               lambda p, c: self._experiment_job(p, c, n_train, epochs), self._broadcast)

    def export(self, n: int, fmt: str) -> bytes:
        """n fresh samples as .npz (images uint8, labels for cgan) or a PNG grid (call off the worker)."""
        model = self.command("model_copy").result(60)
        files = export_bytes(model, n)
        return files.npz if fmt == "npz" else files.png

    # ------------------------------------------------------------ commands (worker thread)
    @handles("play")
    def _cmd_play(self, until: int | None = None) -> dict:
        if until is not None:
            raise InputError("until", "playing to an iteration is for 2D sessions; use step with n on an image session")
        self.tracker.mark_rate(self.trainer)
        return super()._cmd_play()

    @handles("step")
    def _cmd_step(self, n: int = 1, part: Part = "both") -> dict:
        check_steps(self.limits, n)
        self.tracker.train(self.trainer, part, n=n)
        self.check_finite()
        self._cmd_publish()
        return {"iteration": self.trainer.iteration, "losses": self.trainer.losses()}

    @handles("reset")
    def _cmd_reset(self, dataset: str | None = None, seed: int | None = None) -> dict:
        if (why := reset_kind_error(self.kind, dataset)) is not None:
            raise InputError("dataset", why)
        t = self.trainer
        data = t.data
        if dataset is not None and dataset != data.name:
            try:
                data = load_split(dataset, "train", self.data_root)
            except (KeyError, DataError) as exc:  # unknown, or not on this machine: how to get it
                raise InputError("dataset", str(exc).strip("'\"")) from None
        elif data.source != "memory":  # a better source since (e.g. "Get the full dataset"): use it
            best = find_sources(data.name, self.data_root)
            if best and best[0].source != data.source:
                data = load_split(data.name, "train", self.data_root, best[0].source)
        self._install(ImageTrainer(data, t.config, t.seed if seed is None else seed, t.device))
        return self.info()

    @handles("config")
    def _cmd_config(self, patch: dict[str, Any]) -> dict:
        new = merged_image_config(self.trainer.config, patch)  # raises pydantic.ValidationError
        check(self.limits, batch_size=new.batch_size)  # raises LimitError
        rebuilt = self.trainer.apply_config(new)
        if rebuilt:
            self.tracker.restart(self.trainer)
            self._fit_view()
        self.view.invalidate()
        msg = {"type": "config", "config": new.model_dump(), "rebuilt": rebuilt}
        self._broadcast(msg)
        self._cmd_publish()
        return msg

    @handles("interpolate")
    def _cmd_interpolate(self, a: int | None, b: int = 0, steps: int = 10) -> dict:
        if a is None:
            self.view.interpolation = None
        else:
            n = self.view.size(self.trainer)
            for name, v in (("a", a), ("b", b)):
                if not 0 <= v < n:
                    raise InputError(name, f"must be a grid index in [0, {n - 1}]")
            if not 2 <= steps <= 32:
                raise InputError("steps", "must be in [2, 32]")
            self.view.interpolation = Interpolation(a, b, steps)
        self.view.invalidate()
        return self._changed_state()

    @handles("grid")
    def _cmd_grid(self, label: int | None) -> dict:
        k = self.trainer.n_classes
        if not k:
            raise InputError("label", "the class picker needs a conditional model (cgan), not "
                             f"{self.trainer.config.model}")
        if label is not None and not 0 <= label < k:
            raise InputError("label", f"must be in [0, {k - 1}] or null")
        self.view.label = label
        self._fit_view()
        self.view.invalidate()
        return self._changed_state()

    @handles("model_copy")
    def _cmd_model_copy(self) -> ImageTrainer:
        return self.trainer.frozen_copy()

    @handles("checkpoint")
    def _cmd_checkpoint(self) -> bytes:
        return image_checkpoint.to_bytes(self.trainer)

    def _install(self, trainer: ImageTrainer) -> None:
        """Switch to a new trainer (reset, other dataset) and tell everyone."""
        self.trainer = trainer
        self.tracker.restart(trainer)
        self.view.interpolation = None
        self._fit_view()
        self.view.invalidate()
        self.paused_reason = None
        self._broadcast({"type": "reset", **self.info()})
        self._cmd_publish()

    def _fit_view(self) -> None:
        """Drop a picked class or an interpolation the current model cannot show."""
        if not self.trainer.n_classes:
            self.view.label = None
        ip, n = self.view.interpolation, self.view.size(self.trainer)
        if ip is not None and max(ip.a, ip.b) >= n:
            self.view.interpolation = None

    # ------------------------------------------------------------ worker loop and frames
    def train(self, n: int | None, until: float, keep_going: Callable[[], bool],
              left: int | None) -> None:
        """n iterations, or until `until`; a waiting command cuts them short (dcgan: ~0.1 s each
        on a CPU)."""
        if n is not None:
            self.tracker.train(self.trainer, n=n, keep_going=keep_going)
        else:
            self.tracker.train(self.trainer, until=until, keep_going=keep_going)

    def trained(self, n: int) -> None:
        self.tracker.update_rate(self.trainer)

    def _build(self, extra: dict[str, Any] | None = None) -> Frame:
        return build_image_frame(self.trainer, self.tracker, self.view, self.running,
                                 fresh=extra is not None or not self.running, extra={
                                     "paused_reason": self.paused_reason,
                                     "iterations_per_frame": self.iterations_per_frame,
                                     "jobs": [j.brief() for j in self.jobs.running(self.id)],
                                     **(extra or {})})

    # ------------------------------------------------------------ jobs (job threads)
    def _copy_for_job(self, progress: Progress) -> ImageTrainer:
        model = self.command("model_copy").result(60)
        progress(0.02, f"evaluating a copy of G at iteration {model.iteration}")
        return model

    def _classifier(self, model: ImageTrainer, progress: Progress):
        return cached_classifier(model.data.name, self.data_root, model.device,
                                 progress=span(progress, 0.0, 1.0, "feature network: "))

    def _metrics_job(self, progress: Progress, n: int, drs: bool) -> dict:
        model = self._copy_for_job(progress)
        classifier = self._classifier(model, span(progress, 0.02, 0.3))
        end = 0.65 if drs else 1.0
        m = evaluate_trainer(model, classifier, n, progress=span(progress, 0.3, end))
        out = {"fid": m.fid, "inception_score": m.inception_score, "precision": m.precision,
               "recall": m.recall, "classifier_accuracy": m.classifier_accuracy, "n": m.n_fake,
               "n_real": m.n_real, "iteration": model.iteration, "feature_net": FEATURE_NET,
               "feature_network": m.feature_network, "drs": None}
        if drs:
            d = evaluate_trainer(model, classifier, n, progress=span(progress, end, 1.0, "DRS: "),
                                 drs_percentile=DRS_PERCENTILE)
            out["drs"] = {"acceptance": d.drs_acceptance, "fid": d.fid, "precision": d.precision,
                          "recall": d.recall, "percentile": DRS_PERCENTILE}
        return out

    def _experiment_job(self, progress: Progress, cancel: threading.Event, n_train: int | None,
                        epochs: int | None) -> dict:
        model = self._copy_for_job(progress)
        test = load_split(model.data.name, "test", self.data_root, model.data.source)
        labeler = None if model.n_classes else self._classifier(model, span(progress, 0.02, 0.2))
        rep = retraining_experiment(model, test, n_train, epochs=epochs, labeler=labeler,
                                    progress=span(progress, 0.2, 1.0), cancel=cancel)
        if rep.cancelled:
            raise JobCancelled()
        return {"mixes": [{"real_fraction": r.real_percent / 100, "test_accuracy": r.test_accuracy,
                           "n_real": r.n_real, "n_generated": r.n_generated} for r in rep.results],
                "n_train": rep.n_train, "n_test": rep.n_test, "epochs": rep.epochs,
                "label_source": rep.label_source, "iteration": model.iteration}
