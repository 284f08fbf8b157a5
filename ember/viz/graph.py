"""A drawn graph: nodes and edges as plain data, DOT text always, pictures through Graphviz.

DOT is written here directly (it is a small text format). Rendering to SVG or PNG runs the
Graphviz ``dot`` program, through the ``graphviz`` Python package when it is installed (the
``viz`` extra), else directly; without ``dot`` a clear message says how to install it.
"""

import os
import shutil
import subprocess

__all__ = ["Graph", "GraphvizMissing"]

# How each kind of node looks: leaves as ellipses (as in seed 004's diagram), ops as boxes.
_NODE_STYLES = {
    "parameter": 'shape=ellipse, style=filled, fillcolor="#cfe2ff"',
    "input": 'shape=ellipse, style="filled,dashed", fillcolor="#eeeeee"',
    "op": 'shape=box, style="rounded,filled", fillcolor="#fff3cd"',
    "module": 'shape=box3d, style=filled, fillcolor="#d1e7dd"',
}
_LOSS_STYLE = 'peripheries=2, penwidth=2, fillcolor="#f8d7da"'
_EDGE_STYLES = {
    "forward": 'color="#444444", fontcolor="#444444"',
    "backward": 'color="#c0392b", fontcolor="#c0392b", style=dashed, constraint=false',
}

_INSTALL_DOT = (
    "install Graphviz's `dot` program (Debian/Ubuntu: apt-get install graphviz; macOS: brew "
    "install graphviz; conda: conda install graphviz) and the Python package (pip install "
    "graphviz, or pip install 'ember[viz]'). The DOT text is always available as .source."
)


class GraphvizMissing(RuntimeError):
    """Rendering needs the graphviz package and Graphviz's ``dot`` program."""


class Graph:
    """Nodes (``{key: {"name", "label", "kind", ...}}``) and edges (``[{"tail", "head",
    "label", "kind"}]``) of a drawing; ``.source`` is the DOT text."""

    def __init__(self, title="ember"):
        self.title = title
        self.nodes = {}
        self.edges = []

    def add_node(self, key, name, label, kind, **info):
        self.nodes[key] = {"name": name, "label": label, "kind": kind, **info}
        return key

    def add_edge(self, tail, head, label="", kind="forward", **info):
        self.edges.append({"tail": tail, "head": head, "label": label, "kind": kind, **info})

    def names(self):
        """Each node's name (``w1``, ``mm``, ...), in drawing order."""
        return [n["name"] for n in self.nodes.values()]

    def edge_names(self, kind="forward"):
        """Edges as ``(tail name, head name)`` pairs."""
        return [
            (self.nodes[e["tail"]]["name"], self.nodes[e["head"]]["name"])
            for e in self.edges
            if e["kind"] == kind
        ]

    # ----- DOT --------------------------------------------------------------------------------

    def dot(self):
        """The graph in Graphviz's DOT language."""
        lines = [
            f"digraph {_quote(self.title)} {{",
            '  graph [rankdir=TB, fontname="Helvetica", nodesep=0.3, ranksep=0.4];',
            '  node [fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=9];',
        ]
        for key, node in self.nodes.items():
            style = _NODE_STYLES[node["kind"]]
            if node.get("loss"):
                style += ", " + _LOSS_STYLE
            tooltip = node.get("tooltip")
            extra = f", tooltip={_quote(tooltip)}" if tooltip else ""
            lines.append(f"  {key} [label={_quote(node['label'])}, {style}{extra}];")
        for edge in self.edges:
            label = f"label={_quote(edge['label'])}, " if edge["label"] else ""
            style = _EDGE_STYLES[edge["kind"]]
            lines.append(f"  {edge['tail']} -> {edge['head']} [{label}{style}];")
        lines.append("}")
        return "\n".join(lines) + "\n"

    @property
    def source(self):
        return self.dot()

    def __str__(self):
        return self.dot()

    def __repr__(self):
        backward = sum(e["kind"] == "backward" for e in self.edges)
        return (
            f"<ember.viz.Graph: {len(self.nodes)} nodes, {len(self.edges) - backward} edges"
            f"{f', {backward} backward edges' if backward else ''}; .source is DOT text, "
            ".render(path) draws it>"
        )

    # ----- pictures ---------------------------------------------------------------------------

    def pipe(self, format="svg"):
        """The rendered picture as bytes (``format``: svg, png, pdf, ...), through the graphviz
        package, or straight through Graphviz's ``dot`` when only the program is installed."""
        try:
            import graphviz
        except ImportError:
            return _run_dot(self.dot(), format)
        try:
            return graphviz.Source(self.dot()).pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise GraphvizMissing(
                "rendering a graph needs Graphviz's `dot` program, which was not found on PATH: "
                + _INSTALL_DOT
            ) from None

    def render(self, path, format=None):
        """Write the picture to ``path``; the format comes from ``format`` or the file's suffix
        (``.svg``, ``.png``, ``.pdf``; ``.dot``/``.gv`` write the DOT text). Returns the path."""
        path = os.fspath(path)
        suffix = os.path.splitext(path)[1].lstrip(".").lower()
        if format is None:
            format = suffix or "svg"
        if not suffix:
            path = f"{path}.{format}"
        if format in ("dot", "gv"):
            with open(path, "w") as f:
                f.write(self.dot())
            return path
        data = self.pipe(format)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _repr_svg_(self):
        """Jupyter shows the graph as SVG when Graphviz is installed (else its repr)."""
        try:
            return self.pipe("svg").decode("utf-8")
        except GraphvizMissing:
            return None


def _run_dot(source, format):
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing("rendering a graph needs Graphviz's `dot` program: " + _INSTALL_DOT)
    done = subprocess.run([dot, f"-T{format}"], input=source.encode("utf-8"), capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"dot -T{format} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def _quote(text):
    """A DOT string literal: quotes and backslashes escaped, newlines as ``\\n`` (centred)."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'
