"""The company's members: invitations, each member's roles (功能权限) and data scope (数据权限)."""
