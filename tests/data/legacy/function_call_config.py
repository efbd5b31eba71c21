import os

c = get_config()

c.NotebookApp.notebook_dir = os.path.expanduser('~/notebooks')
home = '/home/ada'
c.NotebookApp.certfile = home + '/mycert.pem'
c.NotebookApp.keyfile = f"{home}/mykey.key"
c.NotebookApp.port = 8000 + 80
c.NotebookApp.ip = 'local' + 'host'
c.NotebookApp.open_browser = not True

if os.environ.get('SERVE_LAB'):
    c.NotebookApp.port = 9000

load_subconfig('ipython_config.py')
c.NotebookApp.port = 8081
