"""The nginx configuration shipped in docs/deploy/ is what operators copy: it must not
announce nginx's version and must not let browsers guess the type of uploaded files."""

import re
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "docs" / "deploy" / "nginx.conf"


def directives(block: str) -> list[str]:
    without_comments = re.sub(r"#[^\n]*", "", block)
    return [" ".join(line.split()) for line in without_comments.split(";")]


def location_block(text: str, prefix: str) -> str:
    start = text.index(f"location {prefix} {{")
    return text[start : text.index("}", start)]


def test_nginx_hides_its_version_in_every_server():
    text = CONF.read_text()
    servers = text.count("server {")
    assert servers >= 2
    # Once at the top (the http context of conf.d) covers every server block.
    top = text[: text.index("upstream")]
    assert "server_tokens off" in directives(top)


def test_nginx_media_answers_carry_nosniff():
    block = location_block(CONF.read_text(), "/media/")
    assert "add_header X-Content-Type-Options nosniff always" in directives(block)
