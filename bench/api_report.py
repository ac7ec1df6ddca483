"""The printed tables of bench/api_load.py."""

from __future__ import annotations

import statistics
from typing import Any

from bench.rollback import ms, print_table

#: a wrk round in which other processes used more than this share of the CPUs is "disturbed":
#: it measured the machine's other work as much as the server, and counts only when every round
#: of that app was disturbed
DISTURBED_SHARE = 0.05


def disturbed(result: dict[str, Any]) -> bool:
    return bool(result["others_cpu_share"] > DISTURBED_SHARE)


def median_round(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The undisturbed wrk round with the median req/s (the lower middle one for an even
    count); among all rounds when every one was disturbed."""
    counted = [r for r in results if not disturbed(r)] or results
    ordered = sorted(counted, key=lambda r: r["rps"])
    return ordered[(len(ordered) - 1) // 2]


def _shown(value: float, unit: str) -> str:
    if unit == "s":
        return ms(value)
    if unit == "ratio":
        return f"{value:.0%}"
    return f"{value:,.0f} {unit}"


def _load_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for name in result["get_route"]:
        chosen = median_round(result["get_route"][name])
        all_rps = ", ".join(f"{r['rps']:,.0f}" + ("*" if disturbed(r) else "")
                            for r in result["get_route"][name])
        rows += [(f"GET /route {name}: req/s (median round)", f"{chosen['rps']:,.0f}",
                  f"rounds: {all_rps}"),
                 (f"GET /route {name}: p50", ms(chosen["p50_s"]),
                  f"p99 {ms(chosen['p99_s'])}, max {ms(chosen['max_s'])}, "
                  f"errors {chosen['errors_total']}"),
                 (f"GET /route {name}: server CPU per request",
                  ms(chosen["server_cpu_per_request_s"]),
                  f"user {ms(chosen['server_user_s'] / chosen['requests'])}, "
                  f"wrk {ms(chosen['wrk_cpu_per_request_s'])}/request, CPUs: ours "
                  f"{chosen['cpu_busy']:.0%}, others {chosen['others_cpu_share']:.0%}")]
    bare_rps = median_round(result["get_route"]["bare"])["rps"]
    rows.append(("GET /route req/s relative to bare", "", ", ".join(
        f"{name} {median_round(rounds)['rps'] / bare_rps:.0%}"
        for name, rounds in result["get_route"].items() if name != "bare")))
    if any(disturbed(r) for rounds in result["get_route"].values() for r in rounds):
        rows.append(("(* disturbed: other processes used > "
                     f"{DISTURBED_SHARE:.0%} of the CPUs; not counted)", "", ""))
    rows.append(("first GET /route of a worker (cold state build)",
                 ms(result["first_get_route_s"]), ""))
    post, http = result["post_inprocess"], result["post_http"]
    rows += [
        ("POST /route 1,000 zones, test client: cold", ms(post["cold"]["p50_s"]),
         f"median of {post['batches']} batches (max {ms(post['cold']['max_s'])}), each "
         "zone's first lookup"),
        ("POST /route 1,000 zones, test client: warm p50", ms(post["warm"]["p50_s"]),
         f"p99 {ms(post['warm']['p99_s'])}, {post['queries_per_request']} queries/request"),
        ("POST /route 1,000 zones, HTTP wall: p50", ms(http["p50_s"]),
         f"p99 {ms(http['p99_s'])}, {post['response_bytes'] / 1e3:,.0f} kB response"),
    ]
    active, inproc = result["active_http"], result["active_inprocess"]
    loaded = active["under_load"]
    rows += [
        ("GET /active 304, HTTP sequential: p50", ms(active["sequential"]["p50_s"]),
         f"p99 {ms(active['sequential']['p99_s'])}"),
        ("GET /active 304, test client: p50", ms(inproc["p50_s"]), f"p99 {ms(inproc['p99_s'])}"),
        (f"GET /active 304 under wrk ({loaded['connections']} conn.): req/s",
         f"{loaded['rps']:,.0f}", f"p50 {ms(loaded['p50_s'])}, p99 {ms(loaded['p99_s'])}"),
    ]
    return rows


def _cpu_layers(get_route: dict[str, list[dict[str, Any]]]) -> None:
    """Server CPU per request (median over all rounds: insensitive to other load) per app, and
    the differences: what each layer adds."""
    cpu = {name: statistics.median(r["server_cpu_per_request_s"] for r in rounds)
           for name, rounds in get_route.items()}
    user = {name: statistics.median(r["server_user_s"] / max(1, r["requests"]) for r in rounds)
            for name, rounds in get_route.items()}
    if not {"bare", "stack", "product"} <= cpu.keys():
        return
    rows = [
        ("bare: Django + gunicorn, the view alone", ms(cpu["bare"]),
         f"user {ms(user['bare'])}, system {ms(cpu['bare'] - user['bare'])}"),
        ("+ project settings (middleware, apps, DB signals)", ms(cpu["stack"] - cpu["bare"]),
         f"stack: {ms(cpu['stack'])}"),
        ("+ API layer (ninja, URL tree, token, live state)", ms(cpu["product"] - cpu["stack"]),
         f"product: {ms(cpu['product'])}"),
    ]
    wrk_cpu = statistics.median(r["wrk_cpu_per_request_s"] for rounds in get_route.values()
                                for r in rounds)
    # Saturated, the two CPUs are shared by the workers and wrk: req/s = 2 / (server + wrk).
    ceiling = (cpu["bare"] + wrk_cpu) / (cpu["product"] + wrk_cpu)
    rows.append(("product / bare CPU per request", f"{cpu['product'] / cpu['bare']:.2f} x",
                 f"req/s ceiling with wrk on the same CPUs: {ceiling:.0%} of bare's"))
    print_table("GET /route server CPU per request, by layer (median of all rounds)", rows)


def _pyspy(spy: dict[str, Any]) -> None:
    """Shares of py-spy's samples per layer. py-spy counts a worker that is runnable but waiting
    for a CPU as busy, and with wrk and two workers on two CPUs a worker often waits right after
    writing its response, so the code after the write (close(), signals) is over-represented;
    the CPU table above is the measurement, these shares say where to look."""
    done = {name: s for name, s in spy.items() if "categories" in s}
    for name, item in spy.items():
        if name not in done:
            print(f"\npy-spy ({name}): {item.get('note', 'no samples')}")
    if not done:
        return
    names = list(done)
    rows = [(label, f"{done[names[0]]['categories'][label]:.0%}",
             "   ".join(f"{done[n]['categories'][label]:>4.0%}" for n in names[1:]))
            for label in done[names[0]]["categories"]]
    print_table("py-spy under wrk: share of busy samples per layer; columns: "
                + ", ".join(names), rows)
    print("  (" + "; ".join(f"{n}: {done[n]['samples']:,} samples, "
                            f"{done[n]['rps_while_sampled']:,.0f} req/s while sampled"
                            for n in names) + ")")
    for name in names:
        print(f"  {name}: own time, top 10 ({done[name]['file']}):")
        for frame, share in done[name]["own"][:10]:
            print(f"    {share:>5.1%}  {frame}")


def _layers(layers: dict[str, Any]) -> None:
    times = layers["times_s"]
    rows = [
        ("product GET /route, Django's WSGI handler", ms(layers["product_s"]),
         "no sockets, no HTTP parsing"),
        ("bare view, no middleware", ms(times["bare_view_no_middleware"]),
         "the project's apps (their request signals) still loaded"),
        ("middleware, all", ms(layers["middleware_total_s"]), "t(all) - t(none), product URLs"),
    ]
    rows += [(f"  {name}", ms(value), "") for name, value in layers["middleware_s"].items()]
    rows += [
        ("API layer (product - bare view, all middleware)", ms(layers["api_layer_s"]),
         f"without middleware: {ms(layers['api_layer_no_middleware_s'])}"),
        ("  URL resolve of /api/v1/route (product URLconf)", ms(times["url_resolve_product"]),
         ""),
        ("  ninja's view on a new request (auth, params, view)", ms(times["ninja_view"]),
         f"the bare view: {ms(times['bare_view'])}"),
        ("    token check (BearerToken, cached token)", ms(times["token_check_bearer"]), ""),
        ("    the view function route() (lookup, dumps)", ms(times["route_view_function"]), ""),
        ("      of which route_lookup()", ms(times["route_lookup"]), ""),
        ("request_started + request_finished signals", ms(times["signals_started_and_finished"]),
         "in every variant above"),
    ]
    print_table("GET /route inside Django, in-process (median per request)", rows)


def report(result: dict[str, Any], items: list[dict[str, Any]]) -> None:
    print_table("API under load (gunicorn, 2 sync workers, SQLite, 127.0.0.1)",
                _load_rows(result))
    _layers(result["layers"])
    print_table("POST /route 1,000 zones in-process, warm, median per piece", [
        (name.replace("_", " ").replace(" x n", " x 1,000"), ms(value), "")
        for name, value in result["post_breakdown"].items()])
    _cpu_layers(result["get_route"])
    if "pyspy" in result:
        _pyspy(result["pyspy"])
    if "cprofile" in result:
        print("\ncProfile, 5,000 test-client GET /route (bench/out/api-get-route.prof):")
        print("\n".join(result["cprofile"].splitlines()[:60]))
    print_table("Budgets (issues 6 and 11)", [
        (item["label"], _shown(item["value"], item["unit"]),
         f"{'>=' if item['kind'] == 'floor' else '<'} {_shown(item['budget'], item['unit'])}"
         f"  {item['status']}" + ("  (information, not counted by --check)"
                                   if item["kind"] == "info" else ""))
        for item in items])
