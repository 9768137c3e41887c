import os
from pathlib import Path

config_dir = Path(os.environ["MKDOCS_CONFIG_DIR"])
print(f"`mkdocs.yml` is found: {(config_dir / 'mkdocs.yml').is_file()}")
