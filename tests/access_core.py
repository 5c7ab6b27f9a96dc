"""Access-matrix rows for the foundation: home, health, language, accounts, admin."""

from tests.access import Case, admin_only, anonymous_only, everyone, logged_in

CASES = [
    Case("GET", "/", "/", everyone(200)),
    Case("GET", "/healthz", "/healthz", everyone(200)),
    Case("POST", "/language", "/language", everyone(302), data={"lang": "en"}),
    Case("GET", "/login", "/login", anonymous_only(200)),
    Case("POST", "/login", "/login", anonymous_only(200), data={"email": "", "password": ""}),
    Case("GET", "/register", "/register", anonymous_only(200)),
    Case("POST", "/register", "/register", anonymous_only(200), data={"email": "x"}),
    Case("GET", "/logout", "/logout", everyone(200)),
    Case("POST", "/logout", "/logout", everyone(302)),
    Case("GET", "/account/", "/account/", logged_in(200)),
    Case("GET", "/account/password", "/account/password", logged_in(200)),
    Case("POST", "/account/password", "/account/password", logged_in(200),
         data={"current_password": ""}),
    Case("GET", "/admin/users", "/admin/users", admin_only()),
]
