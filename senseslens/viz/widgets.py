"""`LayerBrowser`: an ipywidgets view of one item, layer by layer.

Pick an item, a layer (slider), a span and a position in it; see the logit-lens top-k
tokens there, the probe's score at that layer, the image with a per-patch heat, the
audio spectrogram with a per-token heat, and the answer probabilities (model output
and lens at the layer). A thin view over `layer_data.ItemTrace`: every panel's last
content is kept in ``browser.state`` so it can be inspected without a browser.
"""

from __future__ import annotations

from typing import Any, Sequence

import ipywidgets as W
import numpy as np

from ..data.items import ALL_LETTERS, Item
from .layer_data import HEATS, ItemTrace, probe_score, spectrogram


class LayerBrowser:
    """Browse what each layer holds for one item at a time.

    Args:
        model: an `OmniModel`.
        items: the items to choose from (a `Benchmark` or a sequence of `Item`).
        probe: optional `ProbeResult` whose out-of-fold scores index the same items
            (or an array ``[layers, n_items]`` of P(misleading)).
        variant: prompt variant.

    Display it as the last expression of a notebook cell (or ``browser.widget``).
    """

    def __init__(self, model: Any, items: Sequence[Item], probe: Any = None, variant: str = "A1", top_k: int = 8):
        self.model = model
        self.items = list(getattr(items, "items", items))
        self.probe = probe
        self.variant = variant
        self.top_k = top_k
        self._traces: dict[int, ItemTrace] = {}
        self.state: dict[str, Any] = {}
        labels = [(f"{it.item_id} ({it.cell})", i) for i, it in enumerate(self.items)]
        self.item = W.Dropdown(options=labels, value=0, description="item")
        self.layer = W.IntSlider(value=model.n_layers - 1, min=0, max=model.n_layers - 1, description="layer")
        self.span = W.Dropdown(options=["last"], value="last", description="span")
        self.position = W.IntSlider(value=0, min=0, max=0, description="position")
        self.heat_kind = W.Dropdown(options=list(HEATS), value=HEATS[0], description="heat")
        self.question = W.HTML()
        self.lens_panel = W.HTML()
        self.probe_panel = W.HTML()
        self.answer_panel = W.HTML()
        self.image_panel = W.Output()
        self.audio_panel = W.Output()
        for control, handler in ((self.item, self._on_item), (self.span, self._on_span)):
            control.observe(handler, names="value")
        for control in (self.layer, self.position, self.heat_kind):
            control.observe(lambda _change: self.refresh(), names="value")
        self.widget = W.VBox([
            W.HBox([self.item, self.layer]),
            W.HBox([self.span, self.position, self.heat_kind]),
            self.question,
            W.HBox([self.lens_panel, W.VBox([self.probe_panel, self.answer_panel])]),
            W.HBox([self.image_panel, self.audio_panel]),
        ])
        self._on_item(None)

    # --- data -----------------------------------------------------------------------
    @property
    def trace(self) -> ItemTrace:
        index = self.item.value
        if index not in self._traces:
            self._traces[index] = ItemTrace.run(self.model, self.items[index], self.variant)
        return self._traces[index]

    def _on_item(self, _change: Any) -> None:
        names = self.trace.span_names()
        current = self.span.value if self.span.value in names else "last"
        with self.span.hold_trait_notifications():
            self.span.options = names
            self.span.value = current
        self._on_span(None)

    def _on_span(self, _change: Any) -> None:
        n = len(self.trace.positions(self.span.value))
        with self.position.hold_trait_notifications():
            self.position.max = max(n - 1, 0)
            self.position.value = n - 1
        self.refresh()

    # --- panels -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute every panel for the current item, layer, span and position."""
        trace, layer = self.trace, self.layer.value
        item = trace.item
        position = int(trace.positions(self.span.value)[min(self.position.value, len(trace.positions(self.span.value)) - 1)])
        self.question.value = f"<b>{item.question}</b> — gold {item.gold} ({item.cell})"
        top = trace.top_tokens(layer, position, self.top_k)
        self.state["lens"] = top
        rows = "".join(f"<tr><td>{r.rank}</td><td><code>{r.token}</code></td><td>{r.prob:.3f}</td></tr>" for r in top.itertuples())
        self.lens_panel.value = (f"<b>logit lens, layer {layer}, position {position} (<code>{trace.token_text(position)}</code>)</b>"
                                 f"<table><tr><th>#</th><th>token</th><th>p</th></tr>{rows}</table>")
        score = probe_score(self.probe, self.item.value, layer)
        self.state["probe"] = score
        self.probe_panel.value = ("<b>probe</b>: no probe given" if self.probe is None else
                                  f"<b>probe P(misleading)</b> at layer {layer}: {'–' if score is None else f'{score:.3f}'}"
                                  f" (truth: {item.premise})")
        final, at_layer = trace.letter_probs(None), trace.letter_probs(layer)
        self.state["answer"] = {"output": final, "lens": at_layer}
        cells = "".join(f"<tr><td>{l}</td><td>{final[l]:.3g}</td><td>{at_layer[l]:.3g}</td></tr>" for l in ALL_LETTERS)
        self.answer_panel.value = f"<b>answer probabilities</b><table><tr><th></th><th>output</th><th>lens L{layer}</th></tr>{cells}</table>"
        self._draw_image(trace, layer)
        self._draw_audio(trace, layer)

    def _draw_image(self, trace: ItemTrace, layer: int) -> None:
        import matplotlib.pyplot as plt

        span = next((s for s in ("image", "video") if s in trace.span_names()), None)
        self.image_panel.clear_output(wait=True)
        self.state["image_heat"] = None
        if span is None or trace.item.image is None and trace.item.frames is None:
            return
        heat = trace.heat(layer, span, self.heat_kind.value)
        grid = trace.grid(span)
        self.state["image_heat"] = heat
        picture = trace.item.image if trace.item.image is not None else trace.item.frames[0]
        with self.image_panel:
            fig, ax = plt.subplots(figsize=(3.2, 3.2))
            ax.imshow(picture)
            if grid is not None:
                h, w = grid
                ax.imshow(heat[: h * w].reshape(h, w), alpha=0.45, cmap="magma", extent=(0, picture.shape[1], picture.shape[0], 0))
            ax.set_title(f"{span} tokens: {self.heat_kind.value}", fontsize=8)
            ax.axis("off")
            plt.show()
            plt.close(fig)

    def _draw_audio(self, trace: ItemTrace, layer: int) -> None:
        import matplotlib.pyplot as plt

        self.audio_panel.clear_output(wait=True)
        self.state["audio_heat"] = None
        if "audio" not in trace.span_names() or trace.item.waveform is None:
            return
        heat = trace.heat(layer, "audio", self.heat_kind.value)
        self.state["audio_heat"] = heat
        spec = spectrogram(trace.item.waveform)
        with self.audio_panel:
            fig, (a0, a1) = plt.subplots(2, 1, figsize=(4.2, 3.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
            a0.imshow(spec, origin="lower", aspect="auto", cmap="viridis", extent=(0, 1, 0, spec.shape[0]))
            a0.set_ylabel("freq bin")
            edges = np.linspace(0, 1, len(heat) + 1)
            a1.bar(edges[:-1], heat, width=np.diff(edges), align="edge", color="tab:red")
            a1.set_xlabel("audio tokens (time order)")
            a1.set_ylabel("heat", fontsize=8)
            plt.show()
            plt.close(fig)

    def _ipython_display_(self) -> None:  # pragma: no cover - notebook display hook
        from IPython.display import display

        display(self.widget)
