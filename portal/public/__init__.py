"""Pages anyone may open: on a company's domain signing in and out, resident sign-up, invitations, the
sign-up hand-off and the password reset (auth.py); the error pages (errors.py); on the platform's domain
what the platform is and a company signing itself up (platform.py)."""
