"""Words that mean different things in different places get their own translation (issue 14,
item 7): a thing's name is 名称 not 姓名, a quarantine site's code is not a sampling site's,
approving or rejecting a zone proposal is not an appeal; and the contact paste grid takes the
words the page shows in either language."""

import pytest
from django.urls import reverse
from django.utils import translation

from fangkong.epi.contacts.importing import add_from_grid
from fangkong.epi.models import Degree, ExposureRelation
from fangkong.lab.rounds.forms import SiteForm
from fangkong.quarantine.sites.forms import SiteForm as QuarantineSiteForm
from tests.epi.conftest import make_case


@pytest.fixture
def chinese():
    with translation.override("zh-hans"):
        yield


def test_a_things_name_and_a_quarantine_sites_code_in_chinese(chinese):
    quarantine = QuarantineSiteForm()
    assert str(quarantine.fields["name"].label) == "名称"
    assert str(quarantine.fields["code"].label) == "隔离点代码"
    assert str(SiteForm().fields["name"].label) == "名称"
    assert str(SiteForm().fields["code"].label) == "采样点代码"


def test_zone_pages_say_reject_and_open_in_their_own_words(login, personas, chinese):
    client = login(personas["command"])
    draw = client.get(reverse("zones:draw"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-open="展开"' in draw and "待办" not in draw


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_paste_grid_takes_the_labels_in_either_language(people, personas, language):
    case = make_case(people["zhang"])
    with translation.override(language):
        relation = str(ExposureRelation.HOUSEHOLD.label)
        degree = str(Degree.CLOSE.label)
    met = case.reported_on.isoformat()
    line = "\t".join([people["li"].id_number, "李秀英", "", relation, "", met, degree, ""])
    result = add_from_grid(actor=personas["task_force"], case=case, text=line)
    assert result.ok, (result.errors, result.row_errors)
    [contact] = result.added
    assert (contact.relation, contact.degree) == ("household", "close")
