"""A tree as an SVG diagram, drawn on the server: questions → outcomes, coloured by urgency.

Columns are the distance from ``start``; red-flag answers are red, dashed
lines. Plain Python and escaped text: the SVG is safe to inline in a page.
"""

from __future__ import annotations

from html import escape

from .graph import Edge, Via, edges, successors
from .model import EMERGENCY_SCREEN, Outcome, Question, Tree

BOX_WIDTH, BOX_HEIGHT = 200, 56
COLUMN_GAP, ROW_GAP = 90, 24
URGENCY_COLOURS = {"U1": "#b00020", "U2": "#c43d00", "U3": "#9a4400", "U4": "#0b4f8a", "U5": "#1f6b35"}


def diagram_nodes(tree: Tree) -> dict[str, Question | Outcome]:
    """The tree's nodes, plus its own emergency signs drawn as a first 'emergency_screen' box.

    Without that box the 112 outcomes the signs lead to would float unconnected.
    """
    nodes: dict[str, Question | Outcome] = dict(tree.nodes)
    if tree.emergency_signs:
        shared = tree.prelude.emergency_screen
        nodes[EMERGENCY_SCREEN] = Question(EMERGENCY_SCREEN, shared.text, tree.emergency_signs)
    return nodes


def levels(tree: Tree) -> dict[str, int]:
    """Each reachable node's column: questions by distance from start, all outcomes in the last
    column (most urgent on top), so every arrow points right."""
    nodes = diagram_nodes(tree)
    level: dict[str, int] = {}
    queue = [tree.start] + ([tree.outside_audience] if tree.outside_audience else [])
    queue += [EMERGENCY_SCREEN] if EMERGENCY_SCREEN in nodes else []
    for node_id in queue:
        level[node_id] = 0
    outcomes: set[str] = set()
    while queue:
        node_id = queue.pop(0)
        node = nodes.get(node_id)
        if isinstance(node, Outcome):
            outcomes.add(node_id)
            outcomes.update(successors(node))  # its raise_to, drawn in the same column
            continue
        if not isinstance(node, Question):
            continue
        for target in successors(node):
            if target in nodes and target not in level:
                level[target] = level[node_id] + 1
                queue.append(target)
    last = max((level[q] for q in level if q not in outcomes), default=0) + 1
    return {**{q: c for q, c in level.items() if q not in outcomes}, **dict.fromkeys(outcomes, last)}


def _urgency_rank(node: Question | Outcome) -> int:
    return node.urgency.rank if isinstance(node, Outcome) else 0


def _wrap(text: str, width: int = 28) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return lines[:2] if len(lines) <= 2 else [lines[0], lines[1][: width - 1] + "…"]


def svg(tree: Tree, locale: str = "nl") -> str:
    nodes = diagram_nodes(tree)
    column = levels(tree)
    rows: dict[int, list[str]] = {}
    order = sorted(nodes, key=lambda n: _urgency_rank(nodes[n]))
    for node_id in order:
        if node_id in column:
            rows.setdefault(column[node_id], []).append(node_id)
    position = {
        node_id: (c * (BOX_WIDTH + COLUMN_GAP) + 10, r * (BOX_HEIGHT + ROW_GAP) + 10)
        for c, ids in rows.items()
        for r, node_id in enumerate(ids)
    }
    width = (max(rows) + 1) * (BOX_WIDTH + COLUMN_GAP) + 20 if rows else 200
    height = max(len(ids) for ids in rows.values()) * (BOX_HEIGHT + ROW_GAP) + 20 if rows else 100
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="diagram-title">',
        f'<title id="diagram-title">{escape(tree.title.get(locale))}: {len(tree.nodes)} nodes</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#4a4f54"/></marker></defs>',
    ]
    parts += _edges(nodes, position, locale)
    for node_id, (x, y) in position.items():
        parts.append(_box(nodes[node_id], node_id, x, y, locale))
    parts.append("</svg>")
    return "\n".join(parts)


def _edges(nodes: dict[str, Question | Outcome], position: dict[str, tuple[int, int]], locale: str) -> list[str]:
    parts = []
    for node_id, (x, y) in position.items():
        for edge in edges(nodes[node_id]):
            if edge.target not in position:
                continue
            label, red = _edge_label(edge, locale), bool(edge.answer and edge.answer.red_flag)
            tx, ty = position[edge.target]
            x1, y1 = x + BOX_WIDTH, y + BOX_HEIGHT // 2
            x2, y2 = tx, ty + BOX_HEIGHT // 2
            if tx <= x:  # backwards or same column: draw below the boxes
                x1, y1, x2, y2 = x + BOX_WIDTH // 2, y + BOX_HEIGHT, tx + BOX_WIDTH // 2, ty
            style = ' stroke="#b00020" stroke-dasharray="6 3" stroke-width="2"' if red else ' stroke="#4a4f54"'
            parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"{style} marker-end="url(#arrow)"/>')
            parts.append(
                f'<text x="{(x1 + x2) // 2}" y="{(y1 + y2) // 2 - 4}" font-size="11" text-anchor="middle" '
                f'fill="{"#b00020" if red else "#0b0c0c"}">{escape(label)}</text>'
            )
    return parts


#: What an arrow says when it is not an answer: the diagram is for Dutch-speaking clinicians.
VIA_LABELS = {Via.SKIP: "(overgeslagen)", Via.RAISE: "risico ↑"}
#: A box's first line, in the editor's words rather than the file's codes (issue 14).
QUESTION_WORD = {"nl": "Vraag", "en": "Question"}
ROUTE_WORDS = {
    "nl": {"emergency": "112", "urgent": "spoed", "appointment": "afspraak", "econsult": "e-consult",
           "self_care": "zelfzorg", "social_domain": "sociaal domein"},
    "en": {"emergency": "112", "urgent": "urgent", "appointment": "appointment", "econsult": "e-consult",
           "self_care": "self-care", "social_domain": "social domain"},
}  # fmt: skip
#: An answer's words on an arrow are cut off here, so arrows stay readable.
EDGE_LABEL_WIDTH = 24


def _edge_label(edge: Edge, locale: str = "nl") -> str:
    """The answer as the patient reads it (shortened), not its code."""
    if edge.answer is None:
        return VIA_LABELS[edge.via]
    words = edge.answer.label.get(locale) or edge.answer.value
    return words if len(words) <= EDGE_LABEL_WIDTH else words[: EDGE_LABEL_WIDTH - 1].rstrip() + "…"


def _box(node: Question | Outcome, node_id: str, x: int, y: int, locale: str) -> str:
    if isinstance(node, Outcome):
        fill, colour = URGENCY_COLOURS[node.urgency.value], "#ffffff"
        route = ROUTE_WORDS.get(locale, ROUTE_WORDS["nl"]).get(node.route.value, node.route.value)
        heading = f"{node.urgency.value} · {route}"
        text = node.title.get(locale)
    else:
        fill, colour = "#ffffff", "#0b0c0c"
        heading = QUESTION_WORD.get(locale, QUESTION_WORD["nl"]) + ("  ⚑" if node.has_red_flag else "")
        text = node.text.get(locale)
    lines = [_text(x + 8, y + 17, heading, colour, size=12, bold=True)]
    lines += [_text(x + 8, y + 33 + i * 14, line, colour) for i, line in enumerate(_wrap(text))]
    size = f'width="{BOX_WIDTH}" height="{BOX_HEIGHT}"'
    rect = f'<rect x="{x}" y="{y}" {size} rx="6" fill="{fill}" stroke="#0b0c0c"/>'
    return f'<g class="node" id="node-{escape(node_id)}">{rect}{"".join(lines)}</g>'


def _text(x: int, y: int, text: str, colour: str, *, size: int = 11, bold: bool = False) -> str:
    weight = ' font-weight="700"' if bold else ""
    return f'<text x="{x}" y="{y}" font-size="{size}"{weight} fill="{colour}">{escape(text)}</text>'
