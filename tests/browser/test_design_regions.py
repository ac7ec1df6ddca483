"""Design regions in a real browser (issue 14): an editor asks for eight regions of the demo
network with a sweep, watches the job, sees the two maps, the KPIs and the sweep chart, and
saves the proposal as a version."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from rollout.models import DesignJob, Version
from rollout.services.design_jobs import design_job_run
from rollout.services.roles import Role, role_grant
from tests.browser.conftest import WorkerQueue, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


def test_design_regions__editor_designs_sees_maps_and_saves__version_page(
        page_for: Any, worker_queue: WorkerQueue) -> None:
    # Given the demo and an editor on the Design regions page
    call_command("demo", stdout=io.StringIO())
    user = User.objects.create_user("edna", password=PASSWORD)
    role_grant(user=user, role=Role.EDITOR)
    base = Version.objects.filter(message__icontains="eight").order_by("created_at").first()
    assert base is not None
    page = page_for("edna", PASSWORD)
    page.get_by_role("link", name="Design regions").click()
    expect(page.get_by_role("heading", name="Design regions")).to_be_visible()

    # When she designs eight regions with a sweep of 6-9
    page.get_by_label("Version", exact=True).select_option(base.id)
    page.get_by_label("Regions (K)").fill("8")
    page.locator("#design-sweep-from").fill("6")
    page.locator("#design-sweep-to").fill("9")
    page.get_by_role("button", name="Design").click()

    # Then the job's page shows its progress until a worker has run it
    expect(page.get_by_role("heading", name="Designing…")).to_be_visible()
    job = DesignJob.objects.get()
    assert [task.name for task in worker_queue.sent] == ["rollout.design_job_run"]
    design_job_run(job_id=job.id)  # the worker
    # The page reloads itself (a meta refresh every second while the job runs): wait for
    # that rather than reloading it here, which raced the page's own reload (ERR_ABORTED).
    expect(page.locator("#map-current")).to_be_visible(timeout=15_000)
    expect(page.locator("#map-proposed")).to_be_visible()
    expect(page.get_by_role("heading", name="K sweep")).to_be_visible()
    expect(page.locator(".chart.trade-off .panel")).to_have_count(5)
    expect(page.get_by_role("heading", name="KPIs: the version (before) and the proposal "
                                             "(after)")).to_be_visible()
    assert page.locator("#map-proposed circle").count() == 904
    screenshot(page, "design-regions")

    # When she saves it
    page.get_by_label("Message").fill("eight regions as designed")
    page.get_by_role("button", name="Save as version").click()

    # Then she is on the new version's page, a child of the designed one
    saved = Version.objects.get(message="eight regions as designed")
    page.wait_for_url(f"**/versions/{saved.id}/")
    assert saved.parent_id == base.id
    assert not page.external_requests
