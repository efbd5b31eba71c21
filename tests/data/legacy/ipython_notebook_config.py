# Configuration file for ipython-notebook.

c = get_config()

# Kernel config
c.IPKernelApp.pylab = 'inline'  # if you want plotting support always

# Notebook config
c.NotebookApp.certfile = u'/home/ada/.ipython/profile_nbserver/mycert.pem'
c.NotebookApp.ip = '*'
c.NotebookApp.open_browser = False
c.NotebookApp.password = u'sha1:bcd259ccf6b4:9d6c11a1d4dea487b39e89fc04aec57e2dbdcea4'
# It is a good idea to put it on a known, fixed port
c.NotebookApp.port = 9999

# Served by the front web server under /ipython/
c.NotebookApp.base_project_url = '/ipython/'
c.NotebookApp.base_kernel_url = '/ipython/'
c.NotebookApp.webapp_settings = {'static_url_prefix':'/ipython/static/'}

c.FileNotebookManager.notebook_dir = u'/home/ada/notebooks'
