from django.contrib.auth import views as auth_views
from django.urls import path

from fangkong.accounts import views

urlpatterns = [
    path("login/", views.SiteLoginView.as_view(), name="login"),
    path("login/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/security/", views.account_security, name="account_security"),
    path("account/security/enrol/", views.two_factor_enrol, name="two_factor_enrol"),
    path("account/security/recovery-codes/", views.two_factor_codes, name="two_factor_codes"),
    path("account/security/remove/", views.two_factor_remove, name="two_factor_remove"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
]
