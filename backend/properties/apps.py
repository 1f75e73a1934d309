from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "backend.properties"
    label = "properties"
    verbose_name = "Property registry (物业资源 / 客户管理)"
