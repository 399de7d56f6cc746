"""PII scrubbing: real-looking addresses go, version numbers, private addresses and code stay."""
from curation.pii import EMAIL, IP, Scrubbed, scrub


def test_emails_in_prose_and_code_are_replaced():
    text = ("Write to Jane.Doe+news@mail.example-uni.edu or jdoe@gmail.com for details.\n"
            'setup(author_email="maintainer@pypi-project.org")')
    out = scrub(text)
    assert out.emails == 3 and out.ips == 0
    assert out.text == (f"Write to {EMAIL} or {EMAIL} for details.\n" f'setup(author_email="{EMAIL}")')


def test_public_ips_are_replaced_with_a_documentation_address():
    out = scrub("Connect to 163.36.107.25, then ssh root@8.8.4.4 and curl http://35.88.121.75:8080/x.\nDNS=1.1.1.1")
    assert out.ips == 4
    assert out.text == f"Connect to {IP}, then ssh root@{IP} and curl http://{IP}:8080/x.\nDNS={IP}"


def test_private_loopback_and_invalid_addresses_stay():
    text = ("bind 127.0.0.1 and 0.0.0.0; lan 192.168.1.2, 10.0.0.1, 172.16.0.9; mask 255.255.255.0; "
            "bad 999.999.999.999 108.0.0.01 1.2.3.4.5")
    assert scrub(text) == Scrubbed(text, 0, 0)


def test_version_and_section_numbers_are_not_addresses():
    text = ("Released v1.2.3.4 today; version 2.0.0.1 and Version: 4.3.2.1 fix bugs; pin numpy==1.21.0.1; "
            "Python 3.11.7; build 20.4.1.0\n__version__ = \"1.2.3.4\"\nsetup(version=\"5.6.7.8\")\n"
            '{"version": "2.0.1.3"} See Table 2.3.1.5 and section 3.1.2.4.')
    out = scrub(text)
    assert out.ips == 0 and out.text == text


def test_email_traps_stay():
    text = ("icon@2x.png and logo@3x.jpg are images; @decorator and user@localhost and a@b are not addresses; "
            "npm i @types/node")
    out = scrub(text)
    assert out.emails == 0 and out.text == text


def test_switches():
    text = "mail bob@example.org from 163.36.107.25"
    assert scrub(text, emails=False).text == f"mail bob@example.org from {IP}"
    assert scrub(text, ips=False).text == f"mail {EMAIL} from 163.36.107.25"
