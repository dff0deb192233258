"""A landlord's staff sees its own landlord's bilan in the CALEOL space, and no other landlord's."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_landlord_staff_sees_its_own_bilan_and_no_other(visitor_factory, serve, tmp_path):
    with serve(tmp_path) as base_url:
        v = visitor_factory(base_url)
        v.login("alpha")
        v.goto("/caleol/")
        v.page.get_by_role("link", name="Bilan").click()
        v.page.wait_for_url("**/caleol/bilan")
        assert v.page.locator("h1").inner_text().startswith("Bilan du bailleur ALPHA")
        rows = v.page.locator("section", has_text="Par bailleur").locator("tbody th").all_inner_texts()
        assert rows == ["ALPHA"]
        assert "BETA" not in v.page.locator("main").inner_text()
        with v.page.expect_download() as download:
            v.page.get_by_role("link", name="en CSV").click()
        assert download.value.suggested_filename.startswith("bilan-")
        assert "ALPHA" in download.value.suggested_filename
        v.screenshot("caleol-bilan")
        # BETA's staff sees BETA's figures on the same page.
        other = visitor_factory(base_url)
        other.login("beta")
        other.goto("/caleol/bilan")
        assert other.page.locator("h1").inner_text().startswith("Bilan du bailleur BETA")
        assert "ALPHA" not in other.page.locator("main").inner_text()
        assert v.console_errors == [] and other.console_errors == []
