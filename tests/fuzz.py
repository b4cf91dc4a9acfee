"""Hostile input for fuzz tests: every form and API endpoint must answer it without a 5xx
and without changing the database when it refuses.

    from tests.fuzz import hostile_text, json_values
    @given(name=hostile_text(), body=json_values())
"""

from hypothesis import strategies as st

# Text that has broken real systems: right-to-left overrides, emoji with joiners,
# combining marks, NUL and other controls, lone surrogates are left out (Django's test
# client cannot encode them), full-width digits, SQL and HTML fragments, and the very long.
TRICKY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\u200f\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "👨\u200d👩\u200d👧\u200d👦",
    "e\u0301\u0301\u0301\u0301",
    "Z\u0351\u0360\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319",
    "１３８００１３８０００",
    "' OR 1=1 --",
    '"><script>alert(1)</script>',
    "{{ settings.SECRET_KEY }}",
    "%(name)s %s {0}",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "9" * 400,
    "长" * 10_000,
]

hostile_text = lambda max_size=200: st.one_of(  # noqa: E731
    st.sampled_from(TRICKY),
    st.text(max_size=max_size),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=max_size),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    hostile_text(50),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(hostile_text(20), children, max_size=4)
    ),
    max_leaves=12,
)
