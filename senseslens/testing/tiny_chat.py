"""Jinja chat templates for the tiny zoo, generated from a small declarative style.

Each family's template mimics the real layout: one turn per message, the media placeholders of a
turn first (in the order given), then its text parts, and an assistant generation prompt.
Content parts are ``{"type": "image" | "video" | "audio" | "text", ...}``; a plain string
content is emitted verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChatStyle:
    """Literal strings of one family's chat layout.

    ``turn_start`` and ``generation_prompt`` may contain ``{role}``, replaced by the message role
    after ``role_names`` mapping (e.g. Gemma's ``assistant`` -> ``model``).
    """

    turn_start: str
    turn_end: str
    generation_prompt: str
    media: Mapping[str, str]
    bos: str = ""
    role_names: Mapping[str, str] = field(default_factory=dict)


def _literal(text: str) -> str:
    """Jinja expression printing ``text`` literally (safe for any characters)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '{{ "' + escaped + '" }}'


def render_template(style: ChatStyle) -> str:
    """Return the jinja source of ``style``."""
    roles = "{" + ", ".join(f'"{k}": "{v}"' for k, v in style.role_names.items()) + "}"
    start = _literal(style.turn_start).replace("{role}", '" + role + "')
    media = "".join(
        f"{{% {'if' if i == 0 else 'elif'} part['type'] == \"{kind}\" %}}{_literal(text)}"
        for i, (kind, text) in enumerate(style.media.items())
    )
    media += "{% endif %}" if style.media else ""
    prompt = _literal(style.generation_prompt).replace("{role}", '" + roles.get("assistant", "assistant") + "')
    return (
        f"{{% set roles = {roles} %}}{_literal(style.bos)}"
        "{% for message in messages %}"
        "{% set role = roles.get(message['role'], message['role']) %}"
        f"{start}"
        "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
        f"{{% for part in message['content'] %}}{media}{{% endfor %}}"
        "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
        "{% endfor %}{% endif %}"
        f"{_literal(style.turn_end)}"
        "{% endfor %}"
        f"{{% if add_generation_prompt %}}{prompt}{{% endif %}}"
    )
