"""From reviewers: the lists for choosing a plan's social worker or a pupil's class teacher still read "Jo Evans (username
jo)", where every other staff page names a person "Jo Evans (Social worker)", by name and job title, with the username
beside it only where two active accounts bear one name. Every list that chooses a person names them as those pages do
(caseflow.web.person); the value sent is still the username. The administrator's lists, where accounts are managed by
username, say it beside the name, as the auditor's list of people does."""

from __future__ import annotations

import re

from caseflow import create_app
from caseflow.bootstrap import Services
from tests.conftest import OTHER_SCHOOL, SCHOOL
from tests.test_admin_roles import _admin
from tests.test_social_care_plans import PASSWORD, _app, _pupil, signed_in


def _chooser(page: str, name: str) -> str:
    found = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    assert found is not None, name
    return found.group(0)


def test_the_plans_social_worker_is_chosen_by_name_and_job_title(sqlite_services: Services) -> None:
    svc = sqlite_services
    svc.accounts.add_user("jo", ["social_worker"], password=PASSWORD, display_name="Jo Evans (Social worker)")
    pupil_id = _pupil(svc)
    page = signed_in(_app(svc), "dsl").get(f"/pupils/{pupil_id}/actions/record_social_care_episode").get_data(as_text=True)
    chooser = _chooser(page, "social_worker")
    assert '<option value="jo">Jo Evans (Social worker)</option>' in chooser
    assert "username" not in chooser


def test_two_social_workers_of_one_name_are_told_apart_by_their_usernames(sqlite_services: Services) -> None:
    svc = sqlite_services
    svc.accounts.add_user("jo", ["social_worker"], password=PASSWORD, display_name="Jo Evans (Social worker)")
    svc.accounts.add_user("jevans", ["social_worker"], password=PASSWORD, display_name="Jo  evans (Senior social worker)")
    pupil_id = _pupil(svc)
    page = signed_in(_app(svc), "dsl").get(f"/pupils/{pupil_id}/actions/record_social_care_episode").get_data(as_text=True)
    chooser = _chooser(page, "social_worker")
    assert '<option value="jo">Jo Evans (Social worker, username jo)</option>' in chooser
    assert '<option value="jevans">Jo  evans (Senior social worker, username jevans)</option>' in chooser
    svc.accounts.deactivate("jevans")  # a leaver's account no longer makes the name shared
    page = signed_in(_app(svc), "dsl").get(f"/pupils/{pupil_id}/actions/record_social_care_episode").get_data(as_text=True)
    assert '<option value="jo">Jo Evans (Social worker)</option>' in _chooser(page, "social_worker")


def test_a_class_teacher_is_chosen_by_name_and_job_title_and_sent_by_username(sqlite_services: Services) -> None:
    svc = sqlite_services
    svc.accounts.add_user("tom", ["teacher"], [SCHOOL], password=PASSWORD, display_name="Tom Reed (Class teacher)")
    svc.accounts.add_user("amy", ["teacher"], [SCHOOL], password=PASSWORD, display_name="Amy Fox (Class teacher)")
    svc.accounts.add_user("rita", ["teacher"], [OTHER_SCHOOL], password=PASSWORD, display_name="Rita Far (Class teacher)")
    pupil_id = _pupil(svc, 62)
    client = signed_in(_app(svc), "dsl")
    chooser = _chooser(client.get(f"/pupils/{pupil_id}/actions/assign_teacher").get_data(as_text=True), "teacher")
    assert '<option value="tom">Tom Reed (Class teacher)</option>' in chooser
    assert chooser.index("Amy Fox") < chooser.index("Tom Reed"), "in the order of their names"
    assert "username" not in chooser and "Rita" not in chooser
    sent = client.post(
        f"/pupils/{pupil_id}/actions/assign_teacher",
        data={"expected_version": svc.store.current_version(pupil_id), "teacher": "tom"},
    )
    assert sent.status_code == 302
    assert svc.pupils.load(pupil_id).teachers == {"tom"}


def test_the_administrators_lists_name_each_account_as_the_auditors_does(sqlite_services: Services) -> None:
    svc = sqlite_services
    svc.accounts.add_user("jo", ["social_worker"], password=PASSWORD, display_name="Jo Evans (Social worker)")
    client, _ = _admin(create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret"}))
    page = client.get("/admin/").get_data(as_text=True)
    for form in ("grant", "revoke", "leaver"):
        chooser = _chooser(page, f"{form}-username")
        assert '<option value="jo">Jo Evans (Social worker, username jo)</option>' in chooser, form
        assert '<option value="teacher">teacher</option>' in chooser, "an account named by its username, once"
