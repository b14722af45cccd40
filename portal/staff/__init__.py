"""Staff login (password + TOTP), shared by the inbox, the workbench and evaluation."""
