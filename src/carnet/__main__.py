from carnet.cli import main

raise SystemExit(main())
