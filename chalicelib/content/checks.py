"""Template checks: every template exists, uses only known merge fields, and gives a fallback for
every field a lead may lack; and no template states a rate without its APR.

Content knows templates, not sequences: ``sequences.validate.validate_all`` walks the catalog and
asks these checks about every template a step names."""
from __future__ import annotations

from .fields import KNOWN, OPTIONAL
from .render import TEMPLATES_DIR, environment, template_paths


def _guarded_nodes(ast) -> set[int]:
    """Ids of Getattr nodes protected by ``| default``, inside ``{% if x is defined %}``, or on the
    right of ``x is defined and ...``."""
    from jinja2 import nodes

    safe: set[int] = set()
    for f in ast.find_all(nodes.Filter):
        if f.name == "default":
            safe.update(id(n) for n in f.node.find_all(nodes.Getattr))
            if isinstance(f.node, nodes.Getattr):
                safe.add(id(f.node))
    for cond in ast.find_all(nodes.If):
        tests = ([cond.test] if isinstance(cond.test, nodes.Test) else []) + list(cond.test.find_all(nodes.Test))
        tested = {(t.node.node.name, t.node.attr) for t in tests
                  if t.name == "defined" and isinstance(t.node, nodes.Getattr) and isinstance(t.node.node, nodes.Name)}
        for body_node in cond.body:
            for g in body_node.find_all(nodes.Getattr):
                if isinstance(g.node, nodes.Name) and (g.node.name, g.attr) in tested:
                    safe.add(id(g))
        for t in tests:
            if t.name == "defined" and isinstance(t.node, nodes.Getattr):
                safe.add(id(t.node))
    # ``x is defined and x == "y"``: "and" stops at an undefined x, so the right side is safe
    def conjuncts(node) -> list:
        return conjuncts(node.left) + conjuncts(node.right) if isinstance(node, nodes.And) else [node]

    for conj in ast.find_all(nodes.And):
        tested = {(t.node.node.name, t.node.attr) for t in conjuncts(conj.left)
                  if isinstance(t, nodes.Test) and t.name == "defined"
                  and isinstance(t.node, nodes.Getattr) and isinstance(t.node.node, nodes.Name)}
        for g in conj.right.find_all(nodes.Getattr):
            if isinstance(g.node, nodes.Name) and (g.node.name, g.attr) in tested:
                safe.add(id(g))
    return safe


def check_source(source: str, where: str, strict_optional: bool = True) -> list[str]:
    from jinja2 import TemplateSyntaxError, nodes

    env = environment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return [f"{where}: syntax error: {exc}"]
    out = []
    safe = _guarded_nodes(ast)
    for name in ast.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in KNOWN:
            out.append(f"{where}: unknown merge group {name.name!r}")
    for g in ast.find_all(nodes.Getattr):
        if not isinstance(g.node, nodes.Name):
            continue
        group, attr = g.node.name, g.attr
        if group in KNOWN and attr not in KNOWN[group]:
            out.append(f"{where}: unknown merge field {group}.{attr}")
        elif strict_optional and attr in OPTIONAL.get(group, ()) and id(g) not in safe:
            out.append(f"{where}: {group}.{attr} may be missing: give it a | default(...) or test it is defined")
    return out


# Refinance content runs only with the borrower's computed figures present: its optional fields
# need no fallback.
FIGURES_PRESENT = ("email/refinance", "sms/refinance", "voice/refinance", "task/refinance")


def subject_problems(subject: str, where: str, strict_optional: bool = True) -> list[str]:
    """A subject line's merge fields, and no rate stated without its APR."""
    from ..domain.regz import rate_statements_without_apr

    out = check_source(subject, where, strict_optional)
    bad = rate_statements_without_apr(subject)
    if bad:
        out.append(f"{where}: rate without APR {bad}")
    return out


def template_file_problems(channel: str, template: str, where: str, strict_optional: bool = True) -> list[str]:
    """Every file a template name stands for on a channel exists, uses only known merge fields
    (with a fallback for an optional one) and states no rate without its APR. ``where`` names
    whoever refers to the template (a sequence's step)."""
    from ..domain.regz import rate_statements_without_apr

    out = []
    for rel in template_paths(channel, template):
        path = TEMPLATES_DIR / rel
        if not path.exists():
            out.append(f"{where}: missing template {rel}")
            continue
        source = path.read_text()
        out += check_source(source, rel, strict_optional and not rel.startswith(FIGURES_PRESENT))
        bad = rate_statements_without_apr(source)
        if bad:
            out.append(f"{rel}: Reg Z: rate stated without APR: {bad}")
    return out


def text_budget_problems(source: str, where: str, kind: str = "marketing", language: str = "en") -> list[str]:
    """A text over its segment budget, counted as carriers bill it (content/sms.py): rendered
    for the sample borrowers of every stage, normalised to GSM-7, with the signature and the
    opt-out line (the longest it goes out). A marketing text fits one segment, a transactional
    update two, unless the template declares more and why (``{# segments: 2 why... #}``)."""
    from .render import _faults, environment, sms_signature
    from .sms import declared, normalise, sample_contexts, segments

    claim = declared(source)
    if claim and not claim[1]:
        return [f"{where}: declares {claim[0]} segments without saying why"]
    budget = claim[0] if claim else (1 if kind == "marketing" else 2)
    try:
        template = environment().from_string(source)
    except _faults():
        return []  # a syntax error is check_source's to report
    worst, longest = 0, ""
    from .language import localise

    for ctx in sample_contexts():
        ctx = localise({**ctx, "language": language}, language)
        try:
            text = normalise(template.render(ctx).strip()) + normalise(sms_signature(ctx, opt_out=True))
        except _faults():
            continue  # content that needs figures a bare lead lacks: check_source's to report
        if segments(text) > worst or (segments(text) == worst and len(text) > len(longest)):
            worst, longest = segments(text), text
    if worst <= budget:
        return []
    return [f"{where}: {len(longest)} characters with the signature and opt-out line bill {worst} SMS segments; "
            f"a {kind} text fits {budget} ({{# segments: N why #}} declares a longer one): {longest!r}"]


def text_file_budget_problems(template: str, where: str, kind: str) -> list[str]:
    path = TEMPLATES_DIR / f"sms/{template}.j2"
    return text_budget_problems(path.read_text(), f"{where} (sms/{template}.j2)", kind) if path.exists() else []


def language_file_problems(channel: str, template: str, where: str, language: str, *, required: bool,
                           strict_optional: bool = True, kind: str = "marketing") -> list[str]:
    """A template's version in ``language`` (content/language.py), checked as the English one is:
    it exists where ``required`` (a core sequence's step), uses only known merge fields with their
    fallbacks, states no rate without its APR ("APR", "TAE", "tasa de porcentaje anual"); an
    e-mail declares its subject line (``{# subject: ... #}``), checked the same way; a text fits
    its segment budget as carriers bill it (an accent outside GSM-7 shows here)."""
    from ..domain.regz import rate_statements_without_apr
    from .language import has_version, localised, paths, subject_of

    if not localised(channel, language):
        return []
    if not has_version(channel, template, language):
        return [f"{where}: no {language} version ({paths(channel, template, language)[0]})"] if required else []
    out = []
    for rel in paths(channel, template, language):
        source = (TEMPLATES_DIR / rel).read_text()
        strict = strict_optional and not rel.startswith(tuple(f"{language}/{p}" for p in FIGURES_PRESENT))
        out += check_source(source, rel, strict)
        bad = rate_statements_without_apr(source)
        if bad:
            out.append(f"{rel}: Reg Z: rate stated without APR: {bad}")
        if channel == "email":
            subject = subject_of(source)
            out += [f"{rel}: no subject line ({{# subject: ... #}})"] if not subject else \
                subject_problems(subject, f"{rel}.subject", strict)
        if channel == "sms":
            out += text_budget_problems(source, f"{where} ({rel})", kind, language)
    return out
