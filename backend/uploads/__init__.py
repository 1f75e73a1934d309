"""One module for every file users upload: what each use accepts (kinds), recognising a file from its bytes
(formats), accepting it (validation, images) and handing it back safely (serving). See validation.py."""
