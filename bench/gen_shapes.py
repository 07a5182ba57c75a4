#!/usr/bin/env python3
"""Drive shapes for the hits-first order (issue 18).

    python3 bench/gen_shapes.py SHAPE DIR

SHAPE is one of:

  windows    the small Windows layout of gen_windows_shape.py (535 MB)
  camera     three user profiles with big camera rolls and camera videos;
             known pictures in Downloads, Saved, Telegram and the desktop,
             two in the user's own picture folders, two clips
  downloads  a Downloads folder of installers, archives, documents and
             films; known pictures and clips among them and in a zip
  p2p        Telegram, WhatsApp, eMule and torrent folders full of harmless
             memes, clips and films; known material among them
  renamed    every known picture or clip renamed (.dat, .pdf, .mp3, .dll,
             no extension) in documents, music, app data and downloads

Every shape has the same base: Windows and program folders, a browser
cache (no extensions: pictures, scripts, pages), app data, documents.
Files carry their format's real signature (JPEG, PNG, MP4, PDF, ZIP, MZ,
ID3) and are otherwise sparse (the header, then a hole), so a shape of
several GB takes little disk and the bytes are real to the hasher. The
known files are random bytes behind a signature, written last (the
highest inodes, as recent downloads are), at distributed sizes.

Writes DIR and DIR.alert.txt (the MD5 of each known file, one per line).
Then, e.g.:

    ferret hashset --library L import -k alert -n alerts DIR.alert.txt
    ferret inventory -a md5 --library L -s alerts --device hdd DIR > /dev/null
"""
import hashlib
import io
import os
import random
import sys
import zipfile

SIG = {
    'jpg': b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00',
    'png': b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR',
    'mp4': b'\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41',
    'pdf': b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n',
    'zip': b'PK\x03\x04\x14\x00\x00\x00\x08\x00',
    'exe': b'MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff',
    'mp3': b'ID3\x04\x00\x00\x00\x00\x00\x00',
    'js': b'(function(){var a=1;',
    'html': b'<!DOCTYPE html><html><head>',
    'txt': b'Lorem ipsum dolor sit amet, ',
}
SIG['jpeg'] = SIG['jpg']
SIG['JPG'] = SIG['jpg']
SIG['mov'] = b'\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  '
SIG['mkv'] = b'\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84webm'
SIG['dll'] = SIG['exe']
SIG['msi'] = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'
SIG['webp'] = b'RIFF\x00\x00\x00\x00WEBPVP8 '
SIG['ogg'] = b'OggS\x00\x02'

KB, MB, GB = 1 << 10, 1 << 20, 1 << 30
root = None
known = []


def put(rel, size, kind=None, seed=0):
    """A harmless file: its format's signature, some bytes, then a hole."""
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    ext = kind or rel.rsplit('.', 1)[-1]
    head = SIG.get(ext, b'') + hashlib.sha256(rel.encode() + bytes([seed % 256])).digest()
    with open(p, 'wb') as f:
        f.write(head[:size])
        f.truncate(size)


def alert(rel, size, kind='jpg'):
    """A known file: random bytes behind a signature, all of them real."""
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    data = SIG[kind] + random.randbytes(size - len(SIG[kind]))
    with open(p, 'wb') as f:
        f.write(data)
    known.append(hashlib.md5(data).hexdigest())


def real_zip(rel, size):
    """A harmless zip (a program and a readme, stored) of about `size`."""
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with zipfile.ZipFile(p, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('setup.exe', SIG['exe'] + bytes(size))
        z.writestr('readme.txt', b'Install with setup.exe\n')


def alert_zip(rel, members):
    """A known picture inside a zip: the member's MD5 is the known one."""
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        for name, size in members:
            data = SIG['jpg'] + random.randbytes(size - len(SIG['jpg']))
            z.writestr(name, data)
            known.append(hashlib.md5(data).hexdigest())
    with open(p, 'wb') as f:
        f.write(buf.getvalue())


def r(lo, hi):
    return random.randint(lo, hi)


USERS = ['alex', 'kim', 'sam']


def base(users=USERS):
    for i in range(1500):
        put(f'Windows/System32/lib{i:04d}.dll', r(40 * KB, 2 * MB))
    for i in range(300):
        put(f'Windows/SysWOW64/lib{i:04d}.dll', r(40 * KB, MB))
    for i in range(20):
        put(f'Windows/Web/Wallpaper/Theme/img{i}.jpg', r(300 * KB, 3 * MB))
    put('Windows/MEMORY.DMP', 300 * MB, 'bin')
    for a in range(8):
        for i in range(60):
            put(f'Program Files/App{a}/res/icon{i:03d}.png', r(2 * KB, 60 * KB))
        for i in range(25):
            put(f'Program Files/App{a}/bin{i:02d}.dll', r(100 * KB, 8 * MB))
        put(f'Program Files/App{a}/app.exe', r(MB, 60 * MB))
    for i in range(300):
        put(f'ProgramData/Vendor/store{i:03d}.dat', r(8 * KB, 400 * KB), 'bin')
    put('pagefile.sys', 512 * MB, 'bin')
    for u in users:
        home = f'Users/{u}'
        cache = f'{home}/AppData/Local/Google/Chrome/User Data/Default/Cache/Cache_Data'
        for i in range(900):
            kind = random.choice(['jpg', 'jpg', 'png', 'js', 'html', 'bin'])
            put(f'{cache}/f_{i:06x}', r(5 * KB, 250 * KB), kind)
        for i in range(150):
            put(f'{home}/AppData/Local/App/data{i:03d}.dat', r(4 * KB, 2 * MB), 'bin')
        for i in range(60):
            put(f'{home}/AppData/Roaming/Microsoft/Office/cache{i}.bin', r(8 * KB, 200 * KB))
        for i in range(250):
            ext = random.choice(['pdf', 'pdf', 'docx', 'txt', 'xlsx'])
            put(f'{home}/Documents/work/doc{i:03d}.{ext}', r(20 * KB, 3 * MB))
        for i in range(12):
            put(f'{home}/Music/album{i}/track{i:02d}.mp3', r(3 * MB, 9 * MB))


def camera():
    base()
    for u in USERS:
        home = f'Users/{u}'
        for i in range(250):
            put(f'{home}/Pictures/Camera Roll/IMG_{i:04d}.JPG', r(2500 * KB, 6 * MB))
        for i in range(150):
            put(f'{home}/OneDrive/Pictures/DCIM/100APPLE/IMG_{5000 + i:04d}.JPG', r(2 * MB, 5 * MB))
        for i in range(8):
            put(f'{home}/Videos/Camera/VID_{i:04d}.mp4', r(30 * MB, 300 * MB))
        for y in range(2015, 2024):
            for i in range(30):
                put(f'{home}/Pictures/{y}/edit{i:03d}.jpg', r(400 * KB, 2 * MB))
        for i in range(80):
            put(f'{home}/Pictures/Screenshots/Screenshot {i}.png', r(100 * KB, 900 * KB))
    for p in ['Users/alex/Downloads/a.jpg', 'Users/kim/Downloads/b.jpg',
              'Users/sam/Pictures/Saved/c.jpg', 'Users/alex/Desktop/d.jpg',
              'Users/kim/AppData/Roaming/Telegram Desktop/e.jpg',
              'Users/sam/Downloads/Telegram Desktop/f.jpg',
              'Users/alex/Pictures/2019/misc/g.jpg', 'Users/kim/Pictures/2021/h.jpg',
              'Users/sam/Desktop/new/i.jpg', 'Users/alex/Pictures/Saved/j.jpg']:
        alert(p, r(60 * KB, 600 * KB))
    alert('Users/kim/Downloads/clip1.mp4', r(8 * MB, 40 * MB), 'mp4')
    alert('Users/alex/Videos/misc/clip2.mp4', r(8 * MB, 40 * MB), 'mp4')


def downloads():
    base()
    for u in USERS:
        d = f'Users/{u}/Downloads'
        for i in range(40):
            put(f'{d}/setup_{i:03d}.{random.choice(["exe", "msi"])}', r(2 * MB, 60 * MB))
        for i in range(300):
            put(f'{d}/paper{i:03d}.pdf', r(100 * KB, 8 * MB))
        for i in range(20):
            real_zip(f'{d}/bundle{i:02d}.zip', r(MB, 6 * MB))
        for i in range(1):
            put(f'{d}/Film.{i}.2019.1080p.mkv', r(1200 * MB, 2500 * MB))
        for i in range(10):
            put(f'{d}/trailer{i:02d}.mp4', r(20 * MB, 120 * MB))
        for i in range(200):
            put(f'{d}/image{i:03d}.jpg', r(50 * KB, 3 * MB))
        for i in range(100):
            put(f'{d}/meme{i:03d}.png', r(50 * KB, 800 * KB))
        for i in range(10):
            put(f'{d}/podcast{i:02d}.mp3', r(20 * MB, 90 * MB))
    for p in ['Users/alex/Downloads/x01.jpg', 'Users/alex/Downloads/new folder/x02.jpg',
              'Users/kim/Downloads/x03.jpg', 'Users/kim/Downloads/pics/x04.jpg',
              'Users/sam/Downloads/x05.jpg', 'Users/sam/Downloads/x06.jpg',
              'Users/sam/Desktop/x07.jpg', 'Users/kim/Documents/x08.jpg']:
        alert(p, r(60 * KB, 900 * KB))
    alert_zip('Users/alex/Downloads/set.zip',
              [(f'set/{i:02d}.jpg', r(60 * KB, 300 * KB)) for i in range(2)])
    alert('Users/kim/Downloads/v1.mp4', r(10 * MB, 60 * MB), 'mp4')
    alert('Users/sam/Downloads/v2.mp4', r(10 * MB, 60 * MB), 'mp4')


def p2p():
    base()
    tg = 'Users/{u}/Downloads/Telegram Desktop'
    wa = ('Users/{u}/AppData/Local/Packages/5319275A.WhatsAppDesktop_cv1g1gvanyjgm'
          '/LocalState/shared/transfers')
    for u in USERS:
        for i in range(400):
            put(f'{tg.format(u=u)}/photo_{i:04d}.jpg', r(40 * KB, 400 * KB))
        for i in range(25):
            put(f'{tg.format(u=u)}/video_{i:03d}.mp4', r(2 * MB, 40 * MB))
        for i in range(400):
            put(f'{wa.format(u=u)}/IMG-2023{i:04d}-WA0001.jpg', r(40 * KB, 300 * KB))
        for i in range(40):
            put(f'{wa.format(u=u)}/VID-2023{i:04d}-WA0001.mp4', r(MB, 25 * MB))
        for i in range(200):
            put(f'Users/{u}/AppData/Roaming/Telegram Desktop/tdata/user_data/cache/{i:03d}.webp',
                r(16 * KB, 120 * KB), 'webp')
    emule = 'Users/alex/Downloads/eMule'
    for i in range(6):
        put(f'{emule}/Incoming/Movie.{i}.DVDRip.avi', r(690 * MB, 720 * MB), 'bin')
    for i in range(200):
        put(f'{emule}/Incoming/song{i:03d}.mp3', r(3 * MB, 9 * MB))
    for i in range(10):
        put(f'{emule}/Temp/{i:03d}.part', r(5 * MB, 300 * MB), 'bin')
        put(f'{emule}/Temp/{i:03d}.part.met', r(200, 4000), 'bin')
    tor = 'Users/kim/Downloads/torrents'
    for i in range(3):
        put(f'{tor}/Show.S01E0{i}.1080p/Show.S01E0{i}.mkv', r(900 * MB, 2200 * MB))
        put(f'{tor}/Show.S01E0{i}.1080p/cover.jpg', r(80 * KB, 400 * KB))
        put(f'{tor}/Show.S01E0{i}.1080p/info.nfo', r(2 * KB, 8 * KB), 'txt')
    for p in ['Users/alex/Downloads/Telegram Desktop/photo_9001.jpg',
              'Users/kim/Downloads/Telegram Desktop/photo_9002.jpg',
              wa.format(u='sam') + '/IMG-20240101-WA0007.jpg',
              wa.format(u='alex') + '/IMG-20240102-WA0003.jpg',
              f'{emule}/Incoming/pic_a.jpg', f'{emule}/Incoming/pic_b.jpg',
              f'{tor}/pack/001.jpg', f'{tor}/pack/002.jpg']:
        alert(p, r(50 * KB, 700 * KB))
    alert(f'{emule}/Incoming/clip_c.mp4', r(20 * MB, 80 * MB), 'mp4')
    alert(f'{tor}/pack/clip.mp4', r(20 * MB, 80 * MB), 'mp4')
    alert(wa.format(u='kim') + '/VID-20240103-WA0002.mp4', r(5 * MB, 20 * MB), 'mp4')
    alert('Users/sam/Downloads/Telegram Desktop/video_900.mp4', r(5 * MB, 30 * MB), 'mp4')


def renamed():
    base()
    for u in USERS:
        for i in range(120):
            put(f'Users/{u}/Music/Library/artist{i % 20}/song{i:03d}.mp3', r(3 * MB, 10 * MB))
        for i in range(150):
            put(f'Users/{u}/Pictures/{2018 + i % 6}/pic{i:03d}.jpg', r(300 * KB, 4 * MB))
        for i in range(150):
            put(f'Users/{u}/Documents/archive/file{i:03d}.dat', r(20 * KB, 4 * MB), 'bin')
    places = [('Users/alex/Documents/tax/2019/return.pdf', 'jpg'),
              ('Users/kim/Documents/archive/file900.dat', 'jpg'),
              ('Users/sam/Music/Library/artist3/track99.mp3', 'jpg'),
              ('Users/alex/AppData/Local/App/data999.dat', 'jpg'),
              ('Users/kim/AppData/Roaming/Helper/helper.dll', 'jpg'),
              ('Users/sam/Documents/notes', 'jpg'),
              ('Users/alex/Downloads/invoice.pdf', 'jpg'),
              ('Users/kim/Desktop/readme.txt', 'jpg'),
              ('Users/sam/Documents/work/budget.xlsx', 'jpg'),
              ('Users/alex/Music/Library/artist7/mix.mp3', 'jpg')]
    for p, kind in places:
        alert(p, r(60 * KB, 700 * KB), kind)
    alert('Users/kim/Documents/backup.dat', r(10 * MB, 50 * MB), 'mp4')
    alert('Users/sam/AppData/Local/Temp/setup.tmp', r(10 * MB, 50 * MB), 'mp4')


def windows():
    import runpy
    sys.argv = ['gen_windows_shape.py', root]
    here = os.path.dirname(os.path.abspath(__file__))
    runpy.run_path(os.path.join(here, 'gen_windows_shape.py'), run_name='__main__')


def main():
    global root
    if len(sys.argv) != 3 or sys.argv[1] not in SHAPES:
        sys.exit(__doc__)
    shape, root = sys.argv[1], sys.argv[2].rstrip('/')
    if os.path.exists(root):
        sys.exit(f'{root} exists: give a new directory')
    random.seed(18)
    SHAPES[shape]()
    if shape != 'windows':
        with open(root + '.alert.txt', 'w') as f:
            f.write('\n'.join(known) + '\n')


SHAPES = {'windows': windows, 'camera': camera, 'downloads': downloads, 'p2p': p2p,
          'renamed': renamed}

if __name__ == '__main__':
    main()
