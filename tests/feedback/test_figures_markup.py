"""Screen readers read a figure as "term, value" only when the list is built as HTML
allows: a <dl> holds <dt>/<dd> groups, each in at most one <div> (Lighthouse and axe
flag anything else, as they did on "what we heard" and the report)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


class DefinitionLists(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.misplaced: list[str] = []
        self.lists = 0

    def handle_starttag(self, tag, attrs):
        if tag == "dl":
            self.lists += 1
        parent = self.stack[-1] if self.stack else ""
        grandparent = self.stack[-2] if len(self.stack) > 1 else ""
        if parent == "dl" and tag not in {"dt", "dd", "div"}:
            self.misplaced.append(f"<{tag}> in <dl>")
        if tag in {"dt", "dd"} and not (
            parent == "dl" or (parent == "div" and grandparent == "dl")
        ):
            self.misplaced.append(f"<{tag}> in <{parent}> in <{grandparent}>")
        if tag not in {"br", "img", "input", "meta", "link"}:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


@pytest.mark.parametrize("page", ["feedback:heard", "feedback:report"])
def test_figures_are_well_formed_definition_lists(client, page):
    sub_event = factories.SubEventFactory()
    factories.FeedbackFactory(event=sub_event.event, sub_event=sub_event)
    parser = DefinitionLists()
    parser.feed(client.get(reverse(page, args=[sub_event.event.slug])).content.decode())
    assert parser.lists >= 1
    assert parser.misplaced == []
